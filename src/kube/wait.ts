import * as k8s from '@kubernetes/client-node';
import { deploymentRolloutStatus, statefulSetRolloutStatus, type RolloutStatus } from './rollout';

export interface WorkloadRef {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
}

/** Reads a workload and tells whether its current spec has rolled out. */
export async function rolloutStatus(kc: k8s.KubeConfig, ref: WorkloadRef): Promise<RolloutStatus> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  if (ref.kind === 'Deployment') {
    return deploymentRolloutStatus(await apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace }));
  }
  return statefulSetRolloutStatus(await apps.readNamespacedStatefulSet({ name: ref.name, namespace: ref.namespace }));
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

/** How often rollouts are looked at: often enough to add little to an install's time. */
const POLL_INTERVAL_MS = 250;

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
  /** Runs after each look with every workload's status, in the order given; may throw to stop waiting. */
  onProgress?: (statuses: RolloutStatus[]) => void;
  /** How to pause between looks (an activity's sleep ends early when it is cancelled). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Waits until every workload has rolled out. On timeout it throws
 * RolloutTimedOut with each workload still pending, what it waits for, and
 * its pods' reasons.
 */
export async function waitForRollouts(
  kc: k8s.KubeConfig,
  refs: WorkloadRef[],
  timeoutMs: number,
  options: RolloutWaitOptions = {},
): Promise<RolloutStatus[]> {
  const deadline = Date.now() + timeoutMs;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (;;) {
    const statuses: RolloutStatus[] = [];
    for (const ref of refs) statuses.push(await rolloutStatus(kc, ref));
    options.onProgress?.(statuses);
    if (statuses.every((s) => s.done)) return statuses;
    if (Date.now() > deadline) {
      const pending: PendingWorkload[] = [];
      for (const [i, ref] of refs.entries()) {
        const status = statuses[i] as RolloutStatus;
        if (!status.done) pending.push({ ref, status, pods: await podReasons(kc, ref) });
      }
      throw new RolloutTimedOut(timeoutMs, pending);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}
