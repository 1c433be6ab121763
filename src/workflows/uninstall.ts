import { allHandlersFinished, ApplicationFailure, condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { NOT_WAITING, progressQuery, retryUpdate, searchAttributes, type InstallResult, type UninstallInput } from './contracts';
import { V1_ROLLOUT_TIMEOUT_SECONDS } from './input-v1';
import { newSteps, type Progress } from './progress';
import { keysLeftLog, removalActions } from './removal';
import { ProgressTracker } from './runner';
import { REMOVAL_STEPS } from './steps';

/**
 * Takes a finished install away: restores TKE's original configuration byte
 * for byte (restarting the consumers), removes the Thanos objects and keeps
 * the volume claims unless asked. A failed step waits for `retry`.
 */
export async function uninstallThanos(input: UninstallInput): Promise<InstallResult> {
  const progress: Progress = {
    kind: 'uninstall',
    clusterName: input.clusterName,
    phase: 'Running',
    message: 'uninstalling',
    steps: newSteps(REMOVAL_STEPS),
    rollbackSteps: [],
    notes: input.deleteVolumeClaims ? ['The Thanos volume claims, and the data on them, are deleted.'] : [],
  };
  const tracker = new ProgressTracker(progress);
  upsertSearchAttributes([{ key: searchAttributes.clusterName, value: input.clusterName }]);
  let retryRequested = false;
  setHandler(progressQuery, () => progress);
  setHandler(
    retryUpdate,
    async (_request) => {
      retryRequested = true;
      await condition(() => progress.phase !== 'WaitingForOperator');
      return progress;
    },
    {
      validator: (_request) => {
        if (progress.phase !== 'WaitingForOperator') {
          throw ApplicationFailure.create({ type: NOT_WAITING, message: `nothing to retry: the uninstall is ${progress.phase}` });
        }
        if (retryRequested) {
          throw ApplicationFailure.create({ type: NOT_WAITING, message: 'a retry was already accepted and is being carried out' });
        }
      },
    },
  );

  const keysLeft = keysLeftLog(progress.notes);
  const actions = removalActions({
    namespace: input.namespace,
    deleteVolumeClaims: input.deleteVolumeClaims ?? false,
    rolloutTimeoutSeconds: input.rolloutTimeoutSeconds ?? V1_ROLLOUT_TIMEOUT_SECONDS,
    keyLeft: keysLeft.keyLeft,
  });
  await tracker.runUntilDone(progress.steps, actions, {
    phase: 'Running',
    message: 'uninstalling',
    choices: 'retry',
    decided: () => retryRequested,
    clearDecision: () => {
      retryRequested = false;
    },
  });
  tracker.set('Uninstalled', `Thanos is removed and ${keysLeft.configuration()}`);
  await condition(allHandlersFinished);
  return { phase: progress.phase, progress };
}
