import type * as k8s from '@kubernetes/client-node';
import { bucketActivities } from './bucket';
import { deployActivities } from './deploy';
import { driftActivities } from './drift';
import { asActivityFailure } from './failures';
import { heartbeating } from './heartbeat';
import { planActivities } from './plan';
import { preflightActivities } from './preflight';
import { queryEndpointActivities } from './query-endpoints';
import { readinessActivities } from './readiness';
import { receiveScalingActivities } from './receive-scaling';
import { removalActivities } from './remove';
import { tkeConfigActivities } from './tke-config';
import { verifyActivities } from './verify';
import { volumeActivities } from './volumes';
import { workerInfoActivities } from './worker-info';

/** Everything the worker needs to run activities. */
export interface ActivityDeps {
  kc: k8s.KubeConfig;
  /** Aborts when the worker starts shutting down: what only watches stops then, rather than hold the shutdown. */
  stopping?: AbortSignal;
}

/**
 * Every activity runs heartbeating (so that a cancellation reaches it while
 * it waits) and fails in terms Temporal and the operator act on (see
 * asActivityFailure).
 */
function supervised<A extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: A): A {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      (...args: never[]) =>
        heartbeating(() => activity(...args)).catch((err: unknown) => {
          throw asActivityFailure(err);
        }),
    ]),
  ) as A;
}

/** All activities, bound to their dependencies. Workflows import only this type. */
export function createActivities(deps: ActivityDeps) {
  return supervised({
    ...workerInfoActivities(deps.kc),
    ...bucketActivities(),
    ...preflightActivities(deps.kc),
    ...deployActivities(deps.kc),
    ...readinessActivities(deps.kc),
    ...tkeConfigActivities(deps.kc),
    ...removalActivities(deps.kc),
    ...verifyActivities(deps.kc),
    ...planActivities(deps.kc),
    ...driftActivities(deps.kc, deps.stopping),
    ...receiveScalingActivities(deps.kc),
    ...queryEndpointActivities(deps.kc),
    ...volumeActivities(deps.kc),
  });
}

export type Activities = ReturnType<typeof createActivities>;
