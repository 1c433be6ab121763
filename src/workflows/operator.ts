/**
 * The operator's say over an install or a reconfiguration that waits for
 * them: the progress and settings queries, and the retry and rollback
 * updates, each refused with the reason when it cannot be acted on.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { ThanosSettings } from '../request/defaults';
import {
  INVALID_SETTINGS,
  NOT_WAITING,
  progressQuery,
  retryUpdate,
  rollbackUpdate,
  settingsQuery,
  type RetryRequest,
  type RollbackRequest,
} from './contracts';
import type { Progress } from './progress';

export type Decision = { kind: 'retry'; settings?: ThanosSettings } | { kind: 'rollback'; request: RollbackRequest };

/** Set by the update handlers; an object so that TypeScript sees it change. */
export interface OperatorDecision {
  decision?: Decision;
}

const noun = (progress: Progress): string => (progress.kind === 'reconfigure' ? 'reconfiguration' : 'install');

/**
 * Registers the handlers. The operator decides once per wait: the first
 * accepted retry or rollback wins, and anything sent before the workflow has
 * acted on it is refused with the reason (a validator's refusal leaves no
 * trace in history). `correctedSettings` reads the settings a retry carries.
 */
export function handleOperator(
  progress: Progress,
  settings: () => ThanosSettings,
  correctedSettings: (request: RetryRequest) => ThanosSettings | undefined,
): OperatorDecision {
  const operator: OperatorDecision = {};
  const refuseUnlessUndecided = (what: string): void => {
    if (progress.phase !== 'WaitingForOperator') {
      throw ApplicationFailure.create({ type: NOT_WAITING, message: `nothing to ${what}: the ${noun(progress)} is ${progress.phase}` });
    }
    if (operator.decision !== undefined) {
      throw ApplicationFailure.create({
        type: NOT_WAITING,
        message: `a ${operator.decision.kind} was already accepted and is being carried out; send ${what} again if it fails`,
      });
    }
  };
  const invalidSettings = (path: string, message: string) =>
    ApplicationFailure.create({ type: INVALID_SETTINGS, message: `${path}: ${message}`, details: [[{ path, message }]] });

  setHandler(progressQuery, () => progress);
  setHandler(settingsQuery, settings);
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
        if (request.settings !== undefined && request.settings.namespace !== settings().namespace) {
          throw invalidSettings('settings.namespace', `an install cannot move: it runs in ${settings().namespace}, got ${request.settings.namespace}`);
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
            message: `rollback is possible while the ${noun(progress)} waits for the operator; it is ${progress.phase} (cancel the workflow to stop it)`,
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
  return operator;
}
