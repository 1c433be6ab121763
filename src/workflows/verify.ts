import { setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { ThanosSettings } from '../request/defaults';
import { waitingActivitiesFor } from './activities';
import { progressQuery, searchAttributes, type InstallResult, type VerifyInput } from './contracts';
import { newSteps, type Progress } from './progress';
import { ProgressTracker, StepFailed } from './runner';
import { VERIFY_STEPS, type StepPolicy } from './steps';

/** How long a canary may take to come back through Query: its discovery of Receive refreshes every 30 s. */
export const DATA_PATH_TIMEOUT_SECONDS = 90;

/** The data-path check as a step: the install's last, and the whole of `verifyThanos`. */
export async function verifyDataPathStep(settings: ThanosSettings): Promise<string> {
  const check = await waitingActivitiesFor('verify-data-path', DATA_PATH_TIMEOUT_SECONDS).verifyDataPath(settings, DATA_PATH_TIMEOUT_SECONDS);
  return check.summary;
}

/** A health check answers soon: fewer attempts than an install's step. */
const VERIFY_POLICY: StepPolicy = { maxAttempts: 3, initialIntervalSeconds: 2, maxIntervalSeconds: 10 };

/**
 * Checks an installed cluster's data path on demand: the install's last step
 * alone, with the settings the install finished with. A failure ends the
 * workflow `Failed` with its cause; nothing waits for the operator, and
 * nothing in the cluster changes.
 */
export async function verifyThanos(input: VerifyInput): Promise<InstallResult> {
  const progress: Progress = {
    kind: 'verify',
    clusterName: input.clusterName,
    phase: 'Running',
    message: 'verifying the data path',
    steps: newSteps(VERIFY_STEPS),
    rollbackSteps: [],
    notes: [],
  };
  const tracker = new ProgressTracker(progress);
  upsertSearchAttributes([{ key: searchAttributes.clusterName, value: input.clusterName }]);
  setHandler(progressQuery, () => progress);
  try {
    await tracker.runSteps(progress.steps, { 'verify-data-path': () => verifyDataPathStep(input.settings) }, { 'verify-data-path': VERIFY_POLICY });
    tracker.set('Succeeded', 'business clusters\' samples reach the Query tke-monitor reads');
  } catch (err) {
    if (!(err instanceof StepFailed)) throw err;
    tracker.set('Failed', err.message);
  }
  return { phase: progress.phase, progress };
}
