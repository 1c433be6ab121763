/**
 * The activities as the workflows call them, with each step's timeouts and
 * the summary the Web UI shows for it. Temporal runs each call once
 * (maximumAttempts 1): the workflow itself retries steps, so that the
 * progress query can show every attempt and its error.
 */
import { ActivityCancellationType, patched, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DRIFT_WATCH_STEPS, INSTALL_STEPS, PLAN_STEPS, RECONFIGURE_STEPS, REMOVAL_STEPS, STEP_PATCHES, type StepId } from './steps';

const TITLES = new Map<StepId, string>([...INSTALL_STEPS, ...REMOVAL_STEPS, ...PLAN_STEPS, ...RECONFIGURE_STEPS, ...DRIFT_WATCH_STEPS].map((s) => [s.id, s.title]));

type CallOptions = Pick<ActivityOptions, 'startToCloseTimeout' | 'heartbeatTimeout'>;

/** One proxy per set of options, made on first use. */
const proxies = new Map<string, Activities>();

/** The activities for one step, with its summary and timeouts. */
export function activitiesFor(step: StepId, options: CallOptions = {}): Activities {
  const full: ActivityOptions = {
    summary: TITLES.get(step),
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '30 seconds',
    ...options,
    retry: { maximumAttempts: 1 },
    // A cancelled workflow goes on (to its rollback) only once the running
    // activity has stopped, so that the two never change the cluster at once.
    cancellationType: patched(STEP_PATCHES.waitForCancelledActivities)
      ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
      : ActivityCancellationType.TRY_CANCEL,
  };
  const key = JSON.stringify(full);
  let proxy = proxies.get(key);
  if (proxy === undefined) {
    proxy = proxyActivities<Activities>(full);
    proxies.set(key, proxy);
  }
  return proxy;
}

/**
 * The activities of a step that waits up to `waitSeconds` for the cluster
 * (readiness, rollouts, the data path): a minute more to report why, and a
 * heartbeat often enough to notice a dead worker soon.
 */
export function waitingActivitiesFor(step: StepId, waitSeconds: number): Activities {
  return activitiesFor(step, { startToCloseTimeout: `${waitSeconds + 60}s`, heartbeatTimeout: '15 seconds' });
}
