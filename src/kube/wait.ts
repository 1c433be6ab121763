import * as k8s from '@kubernetes/client-node';
import { deploymentRolloutStatus, statefulSetRolloutStatus, type RolloutStatus } from './rollout';
import { deploymentNamed, statefulSetNamed, watchUntil, type WatchedObjects } from './watch';

export interface WorkloadRef {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
}

/** One line per pod of the workload saying why it is not ready, for error messages. */
export async function podReasons(kc: k8s.KubeConfig, ref: WorkloadRef): Promise<string[]> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const workload =
    ref.kind === 'Deployment'
      ? await apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace })
      : await apps.readNamespacedStatefulSet({ name: ref.name, namespace: ref.namespace });
  const labels = workload.spec?.selector.matchLabels ?? {};
  const selector = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
  const pods = await core.listNamespacedPod({ namespace: ref.namespace, labelSelector: selector });
  if (pods.items.length === 0) return ['no pods exist yet'];
  return pods.items.map((pod) => {
    const name = pod.metadata?.name ?? '?';
    const phase = pod.status?.phase ?? 'Unknown';
    const waiting = pod.status?.containerStatuses
      ?.map((c) => c.state?.waiting ?? c.state?.terminated)
      .filter((s): s is k8s.V1ContainerStateWaiting => s !== undefined)
      .map((s) => [s.reason, s.message].filter(Boolean).join(': '));
    const unready = pod.status?.conditions
      ?.filter((c) => c.status !== 'True' && (c.reason || c.message))
      .map((c) => `${c.type} ${[c.reason, c.message].filter(Boolean).join(': ')}`);
    const why = [...(waiting ?? []), ...(unready ?? [])].filter(Boolean);
    return `${name}: ${phase}${why.length ? ` (${why.join('; ')})` : ''}`;
  });
}

/** A workload still not rolled out when the wait ended, with its pods' reasons. */
export interface PendingWorkload {
  ref: WorkloadRef;
  status: RolloutStatus;
  pods: string[];
}

/** Workloads that did not roll out in time; waiting longer would not tell more. */
export class RolloutTimedOut extends Error {
  constructor(
    readonly timeoutMs: number,
    readonly pending: PendingWorkload[],
  ) {
    super(`timed out after ${Math.round(timeoutMs / 1000)}s: ${pending.map((p) => `${p.status.message}; pods: ${p.pods.join(', ')}`).join(' | ')}`);
    this.name = 'RolloutTimedOut';
  }
}

export interface RolloutWaitOptions {
  /** Runs with every workload's status, in the order given, once all are known and after each change; may throw to stop waiting. */
  onProgress?: (statuses: RolloutStatus[]) => void;
  /** Stops the wait, rejecting with the signal's reason (an activity's cancellation). */
  signal?: AbortSignal;
}

const watchedWorkload = (kc: k8s.KubeConfig, ref: WorkloadRef): WatchedObjects<k8s.V1Deployment | k8s.V1StatefulSet> =>
  ref.kind === 'Deployment' ? deploymentNamed(kc, ref.namespace, ref.name) : statefulSetNamed(kc, ref.namespace, ref.name);

function statusOf(ref: WorkloadRef, workload: k8s.V1Deployment | k8s.V1StatefulSet | undefined): RolloutStatus {
  if (workload === undefined) return { done: false, message: `${ref.kind.toLowerCase()} ${ref.name}: not there yet` };
  return ref.kind === 'Deployment' ? deploymentRolloutStatus(workload as k8s.V1Deployment) : statefulSetRolloutStatus(workload as k8s.V1StatefulSet);
}

/**
 * Waits until every workload has rolled out, following each with a watch:
 * a change is seen as soon as the API server reports it, and nothing is
 * asked while nothing changes. On timeout it throws RolloutTimedOut with
 * each workload still pending, what it waits for, and its pods' reasons.
 */
export async function waitForRollouts(
  kc: k8s.KubeConfig,
  refs: WorkloadRef[],
  timeoutMs: number,
  options: RolloutWaitOptions = {},
): Promise<RolloutStatus[]> {
  let statuses = refs.map((ref) => statusOf(ref, undefined));
  const rolledOut = await watchUntil(
    kc,
    refs.map((ref) => watchedWorkload(kc, ref)),
    (workloads) => {
      statuses = refs.map((ref, i) => statusOf(ref, workloads[i]?.[0]));
      options.onProgress?.(statuses);
      return statuses.every((s) => s.done) ? statuses : undefined;
    },
    timeoutMs,
    options.signal,
  );
  if (rolledOut !== undefined) return rolledOut;
  const pending: PendingWorkload[] = [];
  for (const [i, ref] of refs.entries()) {
    const status = statuses[i] as RolloutStatus;
    if (!status.done) pending.push({ ref, status, pods: await podReasons(kc, ref) });
  }
  throw new RolloutTimedOut(timeoutMs, pending);
}
