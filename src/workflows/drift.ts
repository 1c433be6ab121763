import { makeContinueAsNewFunc, sleep, upsertMemo } from '@temporalio/workflow';
import { activitiesFor } from './activities';
import { DRIFT_MEMO, type DriftState, type DriftWatchInput } from './contracts';

/**
 * How long one watching activity runs before it hands back what it saw even
 * though nothing changed: it keeps activities (and their retries after a
 * worker restart) bounded.
 */
const DRIFT_WATCH_SECONDS = 30 * 60;
/** A short heartbeat timeout: the API trusts the memo only while an activity is running, so a dead worker must show soon. */
const DRIFT_HEARTBEAT_TIMEOUT = '10 seconds';
/** After a failed watch (the cluster unreachable, a plan refused), the next one starts after this. */
const AFTER_FAILURE = '10 seconds';
/** Changes of state one run records before it continues as new, keeping its history short. */
const STATES_PER_RUN = 100;

const memoOf = (input: DriftWatchInput, inSync: boolean | null): Record<string, DriftState> => ({
  [DRIFT_MEMO]: { settingsFingerprint: input.settingsFingerprint, inSync },
});

/**
 * Keeps in its memo whether an installed cluster still matches the settings
 * it was installed with, so that the API can answer the same install request
 * again without planning. Each activity plans, follows what the installer
 * wrote, and returns as soon as the answer differs from the memo's: at the
 * first change of an object the memo's "in sync" becomes "unknown" (the API
 * then plans itself), and the next activity plans it. Runs until replaced
 * (other settings) or terminated (a reconfiguration or uninstall starts).
 */
export async function watchDrift(input: DriftWatchInput): Promise<void> {
  const watching = activitiesFor('watch-drift', { startToCloseTimeout: `${DRIFT_WATCH_SECONDS + 60}s`, heartbeatTimeout: DRIFT_HEARTBEAT_TIMEOUT });
  let inSync = input.inSync;
  for (let state = 0; state < STATES_PER_RUN; state++) {
    try {
      inSync = await watching.nextDriftState(input.settings, inSync, DRIFT_WATCH_SECONDS);
      upsertMemo(memoOf(input, inSync));
    } catch {
      inSync = null;
      upsertMemo(memoOf(input, inSync));
      await sleep(AFTER_FAILURE);
    }
  }
  await makeContinueAsNewFunc<typeof watchDrift>({ memo: memoOf(input, inSync) })({ ...input, inSync });
}
