import type * as k8s from '@kubernetes/client-node';

/** Whether a workload's current spec has fully rolled out, and if not, why. */
export interface RolloutStatus {
  done: boolean;
  message: string;
}

/** The same test `kubectl rollout status deployment` makes. */
export function deploymentRolloutStatus(d: k8s.V1Deployment): RolloutStatus {
  const name = d.metadata?.name ?? '?';
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return { done: false, message: `deployment ${name}: waiting for the controller to observe the new spec` };
  }
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { done: false, message: `deployment ${name}: progress deadline exceeded` };
  }
  if ((s.updatedReplicas ?? 0) < want) {
    return { done: false, message: `deployment ${name}: ${s.updatedReplicas ?? 0} of ${want} replicas updated` };
  }
  if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0)) {
    return { done: false, message: `deployment ${name}: ${(s.replicas ?? 0) - (s.updatedReplicas ?? 0)} old replicas pending termination` };
  }
  if ((s.availableReplicas ?? 0) < (s.updatedReplicas ?? 0)) {
    return { done: false, message: `deployment ${name}: ${s.availableReplicas ?? 0} of ${s.updatedReplicas ?? 0} updated replicas available` };
  }
  return { done: true, message: `deployment ${name}: ${s.availableReplicas ?? 0} of ${want} replicas available` };
}

/** The same test `kubectl rollout status statefulset` makes (RollingUpdate). */
export function statefulSetRolloutStatus(ss: k8s.V1StatefulSet): RolloutStatus {
  const name = ss.metadata?.name ?? '?';
  const want = ss.spec?.replicas ?? 1;
  const s = ss.status ?? { replicas: 0 };
  if ((ss.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return { done: false, message: `statefulset ${name}: waiting for the controller to observe the new spec` };
  }
  if ((s.readyReplicas ?? 0) < want) {
    return { done: false, message: `statefulset ${name}: ${s.readyReplicas ?? 0} of ${want} pods ready` };
  }
  // With a partition, only the pods at and above it take the new template: kubectl counts those.
  const partition = ss.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  const wantUpdated = Math.max(want - partition, 0);
  if ((s.updatedReplicas ?? 0) < wantUpdated) {
    return { done: false, message: `statefulset ${name}: ${s.updatedReplicas ?? 0} of ${wantUpdated} pods updated` };
  }
  return { done: true, message: `statefulset ${name}: ${s.readyReplicas ?? 0} of ${want} pods ready` };
}
