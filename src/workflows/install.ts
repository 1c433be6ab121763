import { allHandlersFinished, CancellationScope, condition, isCancellation, patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { ThanosSettings } from '../request/defaults';
import { installNotes } from '../render';
import { thanosQueryAddress } from '../render/tke/monitor-config';
import { activitiesFor, waitingActivitiesFor } from './activities';
import {
  searchAttributes,
  type InstallInput,
  type InstallInputV1,
  type InstallResult,
  type RetryRequest,
  type RollbackRequest,
} from './contracts';
import { currentInput, settingsOfV1Retry } from './input-v1';
import { handleOperator } from './operator';
import { newSteps, resetForRetry, type Progress } from './progress';
import { keysLeftLog, removalActions } from './removal';
import { ProgressTracker, type StepAction } from './runner';
import { appliedObjects, sharedStepActions } from './shared-steps';
import { INSTALL_STEPS, REMOVAL_STEPS, STEP_PATCHES, STEPS_RUN_TOGETHER, type InstallStepId } from './steps';

/** The steps this run of the workflow has: installs started before a step was added keep their list. */
function installSteps() {
  return patched(STEP_PATCHES.verifyDataPath) ? INSTALL_STEPS : INSTALL_STEPS.filter((s) => s.id !== 'verify-data-path');
}

function installActions(input: InstallInput, settings: () => ThanosSettings, progress: Progress): Record<InstallStepId, StepAction> {
  const readiness = input.readinessTimeoutSeconds;
  return {
    ...sharedStepActions(settings, input.rolloutTimeoutSeconds, progress),
    preflight: async () => (await activitiesFor('preflight').preflight(settings())).summary,
    'deploy-receive': async () => appliedObjects(await activitiesFor('deploy-receive').applyThanosObjects(settings(), 'receive')),
    'deploy-query-store-compact-rule': async () =>
      appliedObjects(
        await activitiesFor('deploy-query-store-compact-rule').applyThanosObjects(settings(), 'query-store-compact-rule'),
      ),
    'wait-thanos-ready': async () => {
      const statuses = await waitingActivitiesFor('wait-thanos-ready', readiness).waitForThanosReady(settings(), readiness);
      return statuses.map((s) => s.message).join('; ');
    },
  };
}

/**
 * Installs Thanos on a TKE global cluster. Each step is retried with
 * back-off; a step that fails for good leaves the workflow waiting for the
 * operator, who fixes the cause and sends `retry` (resuming from the failed
 * step, or from the start with corrected settings) or `rollback`. Cancelling
 * the workflow rolls back too.
 */
export async function installThanos(started: InstallInput | InstallInputV1): Promise<InstallResult> {
  const input = currentInput(started);
  let settings = input.settings;
  const progress: Progress = {
    kind: 'install',
    clusterName: input.clusterName,
    phase: 'Running',
    message: 'starting',
    steps: newSteps(installSteps()),
    rollbackSteps: [],
    notes: installNotes(settings),
  };
  const tracker = new ProgressTracker(progress, patched(STEP_PATCHES.verifyWhileConsumersRestart) ? STEPS_RUN_TOGETHER : []);
  upsertSearchAttributes([{ key: searchAttributes.clusterName, value: input.clusterName }]);
  /** The corrected settings a retry carries, if any. */
  const correctedSettings = (request: RetryRequest): ThanosSettings | undefined =>
    request.settings ??
    (request.thanos === undefined ? undefined : settingsOfV1Retry(request.thanos, settings.globalNodeIp, settings.namespace));
  const operator = handleOperator(progress, () => settings, correctedSettings);

  const rollback = async (request: RollbackRequest): Promise<InstallResult> => {
    progress.rollbackSteps = progress.rollbackSteps.length > 0 ? progress.rollbackSteps : newSteps(REMOVAL_STEPS);
    const keysLeft = keysLeftLog(progress.notes);
    const actions = removalActions({
      namespace: settings.namespace,
      deleteVolumeClaims: request.deleteVolumeClaims ?? false,
      rolloutTimeoutSeconds: input.rolloutTimeoutSeconds,
      keyLeft: keysLeft.keyLeft,
    });
    await tracker.runUntilDone(progress.rollbackSteps, actions, {
      phase: 'RollingBack',
      message: 'rolling back',
      choices: 'retry the rollback',
      decided: () => operator.decision?.kind === 'retry',
      clearDecision: () => {
        operator.decision = undefined;
      },
    });
    tracker.set('RolledBack', `rolled back: Thanos is removed and ${keysLeft.configuration()}`);
    // An accepted update answers before the workflow ends, never into a closed one.
    await condition(allHandlersFinished);
    return { phase: progress.phase, progress };
  };

  const actions = installActions(input, () => settings, progress);
  try {
    let rollbackRequest: RollbackRequest | undefined;
    const outcome = await tracker.runUntilDone(progress.steps, actions, {
      phase: 'Running',
      message: 'installing',
      choices: 'retry (optionally with corrected settings) or roll back',
      skips: () => (settings.verifyDataPath ? {} : { 'verify-data-path': 'not run: config.monitor.thanos.verifyDataPath is false' }),
      decided: () => operator.decision !== undefined,
      clearDecision: () => {
        operator.decision = undefined;
      },
      afterDecision: () => {
        const chosen = operator.decision;
        if (chosen?.kind === 'rollback') {
          rollbackRequest = chosen.request;
          return 'stop';
        }
        if (chosen?.settings) {
          // Every step depends on the settings: run them all again (each is idempotent).
          settings = chosen.settings;
          progress.notes = installNotes(settings);
          for (const step of progress.steps) resetForRetry(step);
        }
        return 'resume';
      },
    });
    if (outcome === 'stopped') return await rollback(rollbackRequest ?? {});
    tracker.set('Succeeded', `Thanos is installed; tke-monitor reads ${thanosQueryAddress(settings.namespace)}`);
    await condition(allHandlersFinished);
    return { phase: progress.phase, progress, settings };
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => rollback({}));
    }
    throw err;
  }
}
