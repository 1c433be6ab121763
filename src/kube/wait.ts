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

/** Workloads that did not roll out in time; waiting longer would not tell more. */
export class RolloutTimedOut extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RolloutTimedOut';
  }
}

/**
 * Waits until every workload has rolled out. On timeout it throws
 * RolloutTimedOut naming each workload still pending, what it waits for, and
 * its pods' reasons. `onProgress` runs after each look; it may throw to stop
 * waiting (a cancelled activity).
 */
export async function waitForRollouts(
  kc: k8s.KubeConfig,
  refs: WorkloadRef[],
  timeoutMs: number,
  onProgress?: (statuses: Map<string, RolloutStatus>) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const key = (r: WorkloadRef): string => `${r.kind}/${r.namespace}/${r.name}`;
  let pending = refs;
  for (;;) {
    const statuses = new Map<string, RolloutStatus>();
    for (const ref of refs) statuses.set(key(ref), await rolloutStatus(kc, ref));
    onProgress?.(statuses);
    pending = refs.filter((r) => !statuses.get(key(r))?.done);
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      const details: string[] = [];
      for (const ref of pending) {
        const reasons = await podReasons(kc, ref);
        details.push(`${statuses.get(key(ref))?.message}; pods: ${reasons.join(', ')}`);
      }
      throw new RolloutTimedOut(`timed out after ${Math.round(timeoutMs / 1000)}s: ${details.join(' | ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
