/**
 * The activities as the workflows call them, with each step's timeouts and
 * the summary the Web UI shows for it. Temporal runs each call once
 * (maximumAttempts 1): the workflow itself retries steps, so that the
 * progress query can show every attempt and its error.
 */
import { ActivityCancellationType, patched, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { INSTALL_STEPS, REMOVAL_STEPS, STEP_PATCHES, type StepId } from './steps';

const TITLES: Record<StepId, string> = Object.fromEntries(
  [...INSTALL_STEPS, ...REMOVAL_STEPS].map((s) => [s.id, s.title]),
) as Record<StepId, string>;

/** The activities for one step, with its summary and timeouts. */
export function activitiesFor(step: StepId, timeouts: Pick<ActivityOptions, 'startToCloseTimeout' | 'heartbeatTimeout'> = {}): Activities {
  return proxyActivities<Activities>({
    summary: TITLES[step],
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '30 seconds',
    ...timeouts,
    retry: { maximumAttempts: 1 },
    // A cancelled workflow goes on (to its rollback) only once the running
    // activity has stopped, so that the two never change the cluster at once.
    cancellationType: patched(STEP_PATCHES.waitForCancelledActivities)
      ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
      : ActivityCancellationType.TRY_CANCEL,
  });
}
