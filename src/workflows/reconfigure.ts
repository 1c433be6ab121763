import { allHandlersFinished, ApplicationFailure, CancellationScope, condition, isCancellation, patched, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { ThanosComponent, ThanosSettings } from '../request/defaults';
import { installNotes } from '../render';
import { planRefusals, planSummary } from '../render/plan';
import { receiveRestarts, receiveShapeOf, receiveStages, stageSettings, type ReceiveShape } from '../render/receive-scaling';
import type { ReceiveLayout } from '../render/thanos/receive';
import { thanosQueryAddress } from '../render/tke/monitor-config';
import { activitiesFor, waitingActivitiesFor } from './activities';
import { searchAttributes, type InstallResult, type ReconfigureInput, type RetryRequest } from './contracts';
import { handleOperator } from './operator';
import { newSteps, resetForRetry, type Progress } from './progress';
import { ProgressTracker, type StepAction } from './runner';
import { sharedStepActions } from './shared-steps';
import { RECONFIGURE_STEPS, ROLL_OUT_ORDER, STEP_PATCHES, STEPS_RUN_TOGETHER, type ReconfigureStepId } from './steps';

/** What a component's apply changed, for the roll-out's one line: only what moved. */
const changedObjects = (r: { objects: string[]; changed: number }): string =>
  r.changed === 0 ? 'unchanged' : r.objects.filter((o) => !o.endsWith(': unchanged')).join(', ');

/** The components Query reads from. */
const QUERY_ENDPOINTS = ['receive', 'store', 'rule'] as const;

/**
 * Where the installer can reach the data path (`verifyDataPath`), it also
 * waits after each component until Query reaches its new pods, so that no
 * answer of Query silently lacks a component that just restarted.
 */
async function queryReaches(target: ThanosSettings, components: readonly ThanosComponent[], rollout: number): Promise<string> {
  if (!target.verifyDataPath || components.length === 0) return '';
  const reached: string[] = [];
  for (const component of components) {
    reached.push(await waitingActivitiesFor('roll-out-thanos', rollout).waitUntilQueryReaches(target, component, rollout));
  }
  return `; ${reached.join(', ')}`;
}

/** Restarts the replicas in `behind` onto the new template one at a time (`receiveRestarts`), each waited for. */
async function restartReceivePods(settings: ThanosSettings, shape: ReceiveShape, behind: number[], readiness: number, rollout: number): Promise<string[]> {
  const lines: string[] = [];
  for (const restart of receiveRestarts(shape, behind)) {
    const result = await activitiesFor('roll-out-thanos').applyThanosComponent(settings, 'receive', restart.layout);
    const waited = restart.waitFor === 'hashring'
      ? await waitingActivitiesFor('roll-out-thanos', rollout).waitForReceiveStage(settings, restart.layout, rollout)
      : `${await waitingActivitiesFor('roll-out-thanos', readiness).waitForReceiveRestart(settings, restart.ordinal, readiness)}${await queryReaches(settings, ['receive'], rollout)}`;
    lines.push(`receive: ${restart.why} (${changedObjects(result)}; ${waited})`);
  }
  return lines;
}

/**
 * Changes Receive's shape stage by stage, each waited for in the pods
 * themselves. `keepTemplateBelow` holds the pods that ran before on their
 * template meanwhile; new replicas start on the new one.
 */
async function scaleReceive(
  target: ThanosSettings,
  live: ReceiveShape | undefined,
  readiness: number,
  rollout: number,
  options: { keepTemplateBelow?: number; pinLeavingHeads: boolean },
): Promise<string[]> {
  const { keepTemplateBelow } = options;
  const lines: string[] = [];
  let before = live;
  let markersUntil = 0;
  for (const stage of receiveStages(live, receiveShapeOf(target))) {
    const settings = stageSettings(target, stage.shape);
    const layout: ReceiveLayout = { hashringMembers: stage.shape.hashringMembers, ...(keepTemplateBelow !== undefined && { keepTemplateBelow }) };
    // Replicas leaving for good: what their last flush would keep back must be a marker, not a real sample.
    const leaving = before === undefined ? [] : Array.from({ length: Math.max(before.hashringMembers - stage.shape.hashringMembers, 0) }, (_, i) => stage.shape.hashringMembers + i);
    const pin = options.pinLeavingHeads && leaving.length > 0
      ? await waitingActivitiesFor('roll-out-thanos', rollout).pinLeavingReceiveHeads(settings, leaving, rollout)
      : undefined;
    const pinned = pin === undefined ? '' : `${pin.summary}; `;
    const result = await activitiesFor('roll-out-thanos').applyThanosComponent(settings, 'receive', layout);
    await waitingActivitiesFor('roll-out-thanos', readiness).waitForThanosReady(settings, readiness, ['receive']);
    const hashringMoved = before !== undefined && before.hashringMembers !== stage.shape.hashringMembers;
    const replicasLeft = before !== undefined && before.replicas > stage.shape.replicas;
    const waiting = waitingActivitiesFor('roll-out-thanos', rollout);
    let waited = hashringMoved || replicasLeft ? `; ${await waiting.waitForReceiveStage(settings, layout, rollout)}` : '';
    // Out of every pod's hashring now, so nothing newer can reach them: did the markers stay newest?
    if (pin !== undefined) waited += `; ${await waiting.leavingHeadsHoldMarkers(settings, leaving, pin.markerAt)}`;
    // What the stopped replicas flushed is in the bucket only: served again once Store has synced it.
    if (replicasLeft) waited += `; ${await waiting.waitForStoreSync(settings, rollout)}`;
    if (pin !== undefined) markersUntil = Math.max(markersUntil, pin.markerAt);
    lines.push(`receive: ${stage.why} (${pinned}${changedObjects(result)}${waited}${await queryReaches(settings, ['receive'], rollout)})`);
    before = stage.shape;
  }
  // Replicas that stay hold markers too: one that flushed (restarted) before their time would refuse older real samples.
  if (markersUntil > Date.now()) {
    const seconds = Math.ceil((markersUntil - Date.now()) / 1000);
    await sleep(markersUntil - Date.now());
    lines.push(`receive: waited ${seconds}s until the flush markers' time had passed, so that a replica restarting from now on accepts every sample`);
  }
  return lines;
}

/**
 * Receive's part of the roll-out. Without `receiveRestartsOutsideHashring` (runs
 * recorded before it), the StatefulSet restarts pods on a new template by
 * itself. With it, the new template first holds every running pod on its
 * own; a replica a stopped run left outside the hashring restarts and
 * rejoins; the shape changes; then each pod still behind restarts in turn,
 * outside the hashring where there is room; and the hold is released.
 */
async function rollOutReceive(target: ThanosSettings, readiness: number, rollout: number, patches: Patches): Promise<string[]> {
  const activities = activitiesFor('roll-out-thanos');
  const waiting = waitingActivitiesFor('roll-out-thanos', rollout);
  const live = await activities.receiveShape(target.namespace);
  const pinLeavingHeads = patches.pinLeavingReceiveHeads;
  if (!patches.receiveRestartsOutsideHashring || live === undefined) return await scaleReceive(target, live, readiness, rollout, { pinLeavingHeads });
  const liveSettings = stageSettings(target, live);
  const restarting = live.outsideHashring !== undefined
    || (await activities.receiveTemplateChanges(target))
    || (await waiting.receivePodsBehind(liveSettings, rollout)).length > 0;
  if (!restarting) return await scaleReceive(target, live, readiness, rollout, { pinLeavingHeads });

  const liveLayout: ReceiveLayout = { hashringMembers: live.hashringMembers, ...(live.outsideHashring !== undefined && { outsideHashring: live.outsideHashring }) };
  const held = await activities.applyThanosComponent(liveSettings, 'receive', { ...liveLayout, keepTemplateBelow: live.replicas });
  const lines = [`receive: the new template, each running pod held on its own until its turn (${changedObjects(held)})`];
  let keepTemplateBelow = live.replicas;
  const { outsideHashring, ...settled } = live;
  if (outsideHashring !== undefined) {
    const behind = (await waiting.receivePodsBehind(liveSettings, rollout)).filter((ordinal) => ordinal >= outsideHashring);
    lines.push(...(await restartReceivePods(liveSettings, live, behind, readiness, rollout)));
    keepTemplateBelow = outsideHashring;
  }
  lines.push(...(await scaleReceive(target, settled, readiness, rollout, { keepTemplateBelow, pinLeavingHeads })));
  lines.push(...(await restartReceivePods(target, receiveShapeOf(target), await waiting.receivePodsBehind(target, rollout), readiness, rollout)));
  const released = await activities.applyThanosComponent(target, 'receive');
  await waitingActivitiesFor('roll-out-thanos', readiness).waitForThanosReady(target, readiness, ['receive']);
  lines.push(`receive: every replica runs the new template (${changedObjects(released)})`);
  return lines;
}

/** What a run has done that a rollback cannot undo. */
interface Irreversible {
  volumesGrown: boolean;
}

/** What a run decided once, at its start, about the changes its history may predate. */
interface Patches {
  receiveRestartsOutsideHashring: boolean;
  pinLeavingReceiveHeads: boolean;
}

function reconfigureActions(
  input: ReconfigureInput,
  target: () => ThanosSettings,
  progress: Progress,
  irreversible: Irreversible,
  patches: Patches,
): Record<ReconfigureStepId, StepAction> {
  const readiness = input.readinessTimeoutSeconds;
  const rollout = input.rolloutTimeoutSeconds;
  return {
    ...sharedStepActions(target, rollout, progress),
    'check-changes': async () => {
      const plan = await activitiesFor('check-changes').planInstall(target(), true);
      if (plan.refused) {
        throw ApplicationFailure.create({
          type: 'CannotChangeInPlace',
          nonRetryable: true,
          message: `nothing was changed: ${planRefusals(plan).map((r) => `${r.path}: ${r.message}`).join(' | ')}`,
        });
      }
      return planSummary(plan);
    },
    'grow-volumes': async () => {
      const grown = await activitiesFor('grow-volumes').growVolumes(target());
      if (grown.length > 0) irreversible.volumesGrown = true;
      return grown.length > 0 ? grown.join('; ') : 'no volume asked to grow';
    },
    'roll-out-thanos': async () => {
      const lines: string[] = [];
      for (const component of ROLL_OUT_ORDER) {
        if (component === 'receive') {
          lines.push(...(await rollOutReceive(target(), readiness, rollout, patches)));
          continue;
        }
        const result = await activitiesFor('roll-out-thanos').applyThanosComponent(target(), component);
        await waitingActivitiesFor('roll-out-thanos', readiness).waitForThanosReady(target(), readiness, [component]);
        const reached = await queryReaches(target(), component === 'query' ? QUERY_ENDPOINTS : QUERY_ENDPOINTS.filter((c) => c === component), rollout);
        lines.push(`${component}: ${changedObjects(result)}${reached}`);
      }
      return lines.join('; ');
    },
    'remove-unproduced': async () => {
      const removed = await activitiesFor('remove-unproduced').removeUnproducedObjects(target());
      return removed.length > 0 ? `removed ${removed.join(', ')}` : 'nothing to remove';
    },
  };
}

const verifySkipped = (settings: ThanosSettings) =>
  settings.verifyDataPath ? {} : { 'verify-data-path': 'not run: config.monitor.thanos.verifyDataPath is false' };

/**
 * Where a rollback returns: the settings that last succeeded, except that
 * volumes already grown stay grown (a claim never shrinks).
 */
function revertTarget(from: ThanosSettings, to: ThanosSettings, volumesGrown: boolean): ThanosSettings {
  return volumesGrown ? { ...from, storage: { ...from.storage, size: to.storage.size } } : from;
}

/**
 * Changes an installed Thanos to new settings, or repairs drift when the
 * settings are the ones it runs with. Nothing moves until every change is
 * known to be possible in place; then components roll out one at a time,
 * Receive's hashring following its replicas. A step that fails for good
 * waits for the operator: `retry` (optionally with corrected settings) or
 * `rollback`, which runs the same steps back to the settings that last
 * succeeded. Cancelling rolls back too, and the run ends RolledBack.
 */
export async function reconfigureThanos(input: ReconfigureInput): Promise<InstallResult> {
  let settings = input.settings;
  const progress: Progress = {
    kind: 'reconfigure',
    clusterName: input.clusterName,
    phase: 'Running',
    message: 'starting',
    steps: newSteps(RECONFIGURE_STEPS),
    rollbackSteps: [],
    notes: installNotes(settings),
  };
  const tracker = new ProgressTracker(progress, patched(STEP_PATCHES.verifyWhileConsumersRestart) ? STEPS_RUN_TOGETHER : []);
  upsertSearchAttributes([{ key: searchAttributes.clusterName, value: input.clusterName }]);
  const operator = handleOperator(progress, () => settings, (request: RetryRequest) => request.settings);

  const irreversible: Irreversible = { volumesGrown: false };
  const patches: Patches = {
    receiveRestartsOutsideHashring: patched(STEP_PATCHES.receiveRestartsOutsideHashring),
    pinLeavingReceiveHeads: patched(STEP_PATCHES.pinLeavingReceiveHeads),
  };

  const revert = async (): Promise<InstallResult> => {
    const back = revertTarget(input.from, settings, irreversible.volumesGrown);
    if (progress.rollbackSteps.length === 0) progress.rollbackSteps = newSteps(RECONFIGURE_STEPS);
    await tracker.runUntilDone(progress.rollbackSteps, reconfigureActions(input, () => back, progress, irreversible, patches), {
      phase: 'RollingBack',
      message: 'rolling back to the settings that last succeeded',
      choices: 'retry the rollback',
      skips: () => verifySkipped(back),
      decided: () => operator.decision?.kind === 'retry',
      clearDecision: () => {
        operator.decision = undefined;
      },
    });
    tracker.set('RolledBack', 'rolled back: Thanos runs with the settings that last succeeded, and TKE points at it as before');
    await condition(allHandlersFinished);
    return { phase: progress.phase, progress, settings: back };
  };

  try {
    const outcome = await tracker.runUntilDone(progress.steps, reconfigureActions(input, () => settings, progress, irreversible, patches), {
      phase: 'Running',
      message: 'reconfiguring',
      choices: 'retry (optionally with corrected settings) or roll back to the settings that last succeeded',
      skips: () => verifySkipped(settings),
      decided: () => operator.decision !== undefined,
      clearDecision: () => {
        operator.decision = undefined;
      },
      afterDecision: () => {
        const chosen = operator.decision;
        if (chosen?.kind === 'rollback') return 'stop';
        if (chosen?.settings) {
          settings = chosen.settings;
          progress.notes = installNotes(settings);
          for (const step of progress.steps) resetForRetry(step);
        }
        return 'resume';
      },
    });
    if (outcome === 'stopped') return await revert();
    tracker.set('Succeeded', `Thanos is reconfigured; tke-monitor reads ${thanosQueryAddress(settings.namespace)}`);
    await condition(allHandlersFinished);
    return { phase: progress.phase, progress, settings };
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The run ends with the settings the cluster then has, so the next request reconfigures from them.
    return await CancellationScope.nonCancellable(() => revert());
  }
}
