import type * as k8s from '@kubernetes/client-node';
import { bucketActivities } from './bucket';
import { deployActivities } from './deploy';
import { preflightActivities } from './preflight';
import { readinessActivities } from './readiness';
import { removalActivities } from './remove';
import { tkeConfigActivities } from './tke-config';
import { verifyActivities } from './verify';
import { workerInfoActivities } from './worker-info';

/** Everything the worker needs to run activities. */
export interface ActivityDeps {
  kc: k8s.KubeConfig;
}

/** All activities, bound to their dependencies. Workflows import only this type. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...workerInfoActivities(deps.kc),
    ...bucketActivities(),
    ...preflightActivities(deps.kc),
    ...deployActivities(deps.kc),
    ...readinessActivities(deps.kc),
    ...tkeConfigActivities(deps.kc),
    ...removalActivities(deps.kc),
    ...verifyActivities(deps.kc),
  };
}

export type Activities = ReturnType<typeof createActivities>;
