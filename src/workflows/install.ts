import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ThanosSettings } from '../request/defaults';
import { installNotes } from '../render';
import { receiveRemoteWriteAddress } from '../render/tke/controller-toml';
import { tkeConfigEdits } from '../render/tke';
import { thanosQueryAddress } from '../render/tke/monitor-config';
import { activitiesFor, waitingActivitiesFor } from './activities';
import {
  INVALID_SETTINGS,
  NOT_WAITING,
  progressQuery,
  retryUpdate,
  rollbackUpdate,
  searchAttributes,
  settingsQuery,
  type InstallInput,
  type InstallInputV1,
  type InstallResult,
  type RetryRequest,
  type RollbackRequest,
} from './contracts';
import { currentInput, settingsOfV1Retry } from './input-v1';
import { newSteps, resetForRetry, type Progress } from './progress';
import { keysLeftLog, removalActions } from './removal';
import { ProgressTracker, type StepAction } from './runner';
import { INSTALL_STEPS, REMOVAL_STEPS, STEP_PATCHES, type InstallStepId } from './steps';
import { verifyDataPathStep } from './verify';

/** The steps this run of the workflow has: installs started before a step was added keep their list. */
function installSteps() {
  return patched(STEP_PATCHES.verifyDataPath) ? INSTALL_STEPS : INSTALL_STEPS.filter((s) => s.id !== 'verify-data-path');
}

type Decision = { kind: 'retry'; settings?: ThanosSettings } | { kind: 'rollback'; request: RollbackRequest };

function installActions(input: InstallInput, settings: () => ThanosSettings, progress: Progress): Record<InstallStepId, StepAction> {
  const readiness = input.readinessTimeoutSeconds;
  const rollout = input.rolloutTimeoutSeconds;
  const edits = () => tkeConfigEdits(thanosQueryAddress(settings().namespace), receiveRemoteWriteAddress(settings()));
  const applied = (r: { objects: string[]; changed: number }): string =>
    `${r.changed} of ${r.objects.length} objects created or changed (${r.objects.join(', ')})`;
  return {
    'check-bucket': async () => {
      const check = await activitiesFor('check-bucket').checkBucket(settings().bucketConfig);
      if (!check.checked) progress.notes.push(`Bucket ${check.summary}.`);
      return check.summary;
    },
    preflight: async () => (await activitiesFor('preflight').preflight(settings())).summary,
    'apply-objstore-secret': async () =>
      applied(await activitiesFor('apply-objstore-secret').applyThanosObjects(settings(), 'objstore-secret')),
    'deploy-receive': async () => applied(await activitiesFor('deploy-receive').applyThanosObjects(settings(), 'receive')),
    'deploy-query-store-compact-rule': async () =>
      applied(
        await activitiesFor('deploy-query-store-compact-rule').applyThanosObjects(settings(), 'query-store-compact-rule'),
      ),
    'wait-thanos-ready': async () => {
      const statuses = await waitingActivitiesFor('wait-thanos-ready', readiness).waitForThanosReady(settings(), readiness);
      return statuses.map((s) => s.message).join('; ');
    },
    'reconfigure-consumers': async () => {
      const { changed } = await activitiesFor('reconfigure-consumers').reconfigureConsumers(settings().namespace, edits());
      return changed.length > 0 ? `changed ${changed.join(', ')}` : 'already pointing at Thanos: nothing changed';
    },
    'restart-consumers': async () => {
      const r = await waitingActivitiesFor('restart-consumers', rollout).restartConsumers(settings().namespace, edits(), rollout);
      return `restarted: ${r.restarted.join(', ') || 'none'}; unchanged: ${r.unchanged.join(', ') || 'none'}`;
    },
    'verify-data-path': () => verifyDataPathStep(settings()),
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
  const tracker = new ProgressTracker(progress);
  upsertSearchAttributes([{ key: searchAttributes.clusterName, value: input.clusterName }]);
  // Set by the update handlers; an object so that TypeScript sees it change.
  const operator: { decision?: Decision } = {};

  /**
   * The operator decides once per wait: the first accepted retry or rollback
   * wins, and anything sent before the workflow has acted on it is refused
   * with the reason (a validator's refusal leaves no trace in history).
   */
  const refuseUnlessUndecided = (what: string): void => {
    if (progress.phase !== 'WaitingForOperator') {
      throw ApplicationFailure.create({ type: NOT_WAITING, message: `nothing to ${what}: the install is ${progress.phase}` });
    }
    if (operator.decision !== undefined) {
      throw ApplicationFailure.create({
        type: NOT_WAITING,
        message: `a ${operator.decision.kind} was already accepted and is being carried out; send ${what} again if it fails`,
      });
    }
  };

  /** The corrected settings a retry carries, if any. */
  const correctedSettings = (request: RetryRequest): ThanosSettings | undefined =>
    request.settings ??
    (request.thanos === undefined ? undefined : settingsOfV1Retry(request.thanos, settings.globalNodeIp, settings.namespace));
  const invalidSettings = (path: string, message: string) =>
    ApplicationFailure.create({ type: INVALID_SETTINGS, message: `${path}: ${message}`, details: [[{ path, message }]] });

  setHandler(progressQuery, () => progress);
  setHandler(settingsQuery, () => settings);
  setHandler(
    retryUpdate,
    async (request) => {
      operator.decision = { kind: 'retry', settings: correctedSettings(request) };
      await condition(() => progress.phase !== 'WaitingForOperator');
      return progress;
    },
    {
      validator: (request) => {
        refuseUnlessUndecided('retry');
        if (request.thanos !== undefined) {
          throw invalidSettings('thanos', 'send corrected settings resolved by the installer\'s API or CLI (`settings`), not the raw request');
        }
        if (request.settings !== undefined && request.settings.namespace !== settings.namespace) {
          throw invalidSettings('settings.namespace', `an install cannot move: it runs in ${settings.namespace}, got ${request.settings.namespace}`);
        }
      },
    },
  );
  setHandler(
    rollbackUpdate,
    async (request) => {
      operator.decision = { kind: 'rollback', request };
      await condition(() => progress.phase !== 'WaitingForOperator');
      return progress;
    },
    {
      validator: (_request) => {
        if (progress.phase !== 'WaitingForOperator') {
          throw ApplicationFailure.create({
            type: NOT_WAITING,
            message: `rollback is possible while the install waits for the operator; it is ${progress.phase} (cancel the workflow to stop it)`,
          });
        }
        if (progress.rollbackSteps.length > 0) {
          throw ApplicationFailure.create({
            type: NOT_WAITING,
            message: 'the rollback itself is waiting for the operator: fix the cause, then send retry to run its failed step again',
          });
        }
        refuseUnlessUndecided('rollback');
      },
    },
  );

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
