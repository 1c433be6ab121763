import type * as k8s from '@kubernetes/client-node';
import { workerInfoActivities } from './worker-info';

/** Everything the worker needs to run activities. */
export interface ActivityDeps {
  kc: k8s.KubeConfig;
}

/** All activities, bound to their dependencies. Workflows import only this type. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...workerInfoActivities(deps.kc),
  };
}

export type Activities = ReturnType<typeof createActivities>;
