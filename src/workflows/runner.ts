/**
 * Runs a list of steps inside a workflow: attempts with back-off, progress
 * published to the query, the Web UI's current details and the phase search
 * attribute, and a pause for the operator when a step fails for good.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  isCancellation,
  setCurrentDetails,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { searchAttributes } from './contracts';
import { failAttempt, resetForRetry, skip, startAttempt, stepTable, succeed, type Phase, type Progress, type StepProgress } from './progress';
import { DEFAULT_STEP_POLICY, type StepId, type StepPolicy } from './steps';

/** Thrown when a step has failed for good; the caller decides what follows. */
export class StepFailed extends Error {
  constructor(readonly step: StepProgress) {
    super(`${step.title} failed: ${step.lastError}`);
    this.name = 'StepFailed';
  }
}

/** What a step does; resolves to a one-line result for the progress log. */
export type StepAction = () => Promise<string>;

/** What each step of a list does: a list's producer returns one for every id it has, or does not compile. */
export type StepActions = Partial<Record<StepId, StepAction>>;

/** The operator-facing text of an activity failure, and whether retrying may help. */
export function describeFailure(err: unknown): { message: string; retryable: boolean } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { message: cause.message, retryable: !cause.nonRetryable };
  if (cause instanceof TimeoutFailure) {
    const why = cause.timeoutType === 'HEARTBEAT' ? 'no heartbeat: its worker may have died' : 'it took too long';
    return { message: `the activity timed out (${why})`, retryable: true };
  }
  return { message: cause instanceof Error ? cause.message : String(cause), retryable: true };
}

export class ProgressTracker {
  private publishedPhase: Phase | undefined;

  /** `together`: groups of consecutive steps that run at the same time (each group in list order). */
  constructor(
    readonly progress: Progress,
    private readonly together: readonly (readonly StepId[])[] = [],
  ) {}

  /** Pushes the progress to the Web UI (current details) and the phase search attribute. */
  publish(): void {
    setCurrentDetails(stepTable(this.progress, Date.now()));
    if (this.publishedPhase !== this.progress.phase) {
      upsertSearchAttributes([{ key: searchAttributes.installPhase, value: this.progress.phase }]);
      this.publishedPhase = this.progress.phase;
    }
  }

  set(phase: Phase, message: string): void {
    this.progress.phase = phase;
    this.progress.message = message;
    this.publish();
  }

  /**
   * Runs the steps not yet succeeded, in order, those of a `together` group
   * at the same time; throws StepFailed when one fails for good (in a group,
   * once every step of it has ended). A step named in `skips` is not run: it
   * shows the reason.
   */
  async runSteps(
    steps: StepProgress[],
    actions: StepActions,
    policies: Partial<Record<StepId, StepPolicy>> = {},
    skips: Partial<Record<StepId, string>> = {},
  ): Promise<void> {
    const run = async (step: StepProgress): Promise<void> => {
      if (step.state === 'succeeded') return;
      const reason = skips[step.id];
      if (reason !== undefined) {
        skip(step, reason);
        this.publish();
        return;
      }
      const action = actions[step.id];
      if (action === undefined) throw new Error(`no action for step ${step.id}`);
      await this.runStep(step, action, policies[step.id] ?? DEFAULT_STEP_POLICY);
    };
    for (let i = 0; i < steps.length; ) {
      const group = this.together.find((ids) => ids[0] === steps[i]?.id);
      const batch = group ? steps.slice(i, i + group.length).filter((s) => group.includes(s.id)) : steps.slice(i, i + 1);
      i += batch.length;
      if (batch.length === 1) {
        await run(batch[0] as StepProgress);
        continue;
      }
      const ended = await Promise.allSettled(batch.map(run));
      // A cancellation ends the run; otherwise the first step in order that failed goes to the operator.
      const failures = ended.flatMap((e) => (e.status === 'rejected' ? [e.reason as unknown] : []));
      const thrown = failures.find(isCancellation) ?? failures[0];
      if (thrown !== undefined) throw thrown;
    }
  }

  private async runStep(step: StepProgress, action: StepAction, policy: StepPolicy): Promise<void> {
    let interval = policy.initialIntervalSeconds;
    for (let attempt = 1; ; attempt++) {
      startAttempt(step, Date.now());
      this.progress.message = attempt > 1 ? `${step.title} (attempt ${attempt} of ${policy.maxAttempts})` : step.title;
      this.publish();
      try {
        const result = await action();
        // Workflow time advances only across awaits: read it after the step.
        succeed(step, Date.now(), result);
        this.publish();
        return;
      } catch (err) {
        if (isCancellation(err)) {
          // The progress shows where the cancellation stopped the install (no command: replays as before).
          failAttempt(step, Date.now(), 'cancelled', true);
          this.publish();
          throw err;
        }
        const { message, retryable } = describeFailure(err);
        const final = !retryable || attempt >= policy.maxAttempts;
        failAttempt(step, Date.now(), message, final);
        this.publish();
        if (final) throw new StepFailed(step);
        await sleep(`${interval}s`);
        interval = Math.min(interval * 2, policy.maxIntervalSeconds);
      }
    }
  }

  /**
   * Runs the steps until all have succeeded. After each final failure it
   * waits for the operator's decision; `afterDecision` acts on it and says
   * whether to resume from the failed step or to stop (the caller then does
   * what was decided instead).
   */
  async runUntilDone(
    steps: StepProgress[],
    actions: StepActions,
    options: {
      phase: Phase;
      message: string;
      choices: string;
      decided: () => boolean;
      clearDecision: () => void;
      afterDecision?: () => 'resume' | 'stop';
      /** Steps not to run this time, each with the reason shown for it. */
      skips?: () => Partial<Record<StepId, string>>;
    },
  ): Promise<'done' | 'stopped'> {
    for (;;) {
      this.set(options.phase, options.message);
      try {
        await this.runSteps(steps, actions, {}, options.skips?.() ?? {});
        return 'done';
      } catch (err) {
        if (!(err instanceof StepFailed)) throw err;
        options.clearDecision();
        await this.waitForOperator(err, options.decided, options.choices);
        if (options.afterDecision?.() === 'stop') return 'stopped';
        for (const step of steps) if (step.state === 'failed') resetForRetry(step);
      }
    }
  }

  /**
   * Pauses in WaitingForOperator until `decided()` holds (an update arrived).
   * The workflow stays open: the operator fixes the cause and retries, or
   * rolls back.
   */
  async waitForOperator(failed: StepFailed, decided: () => boolean, choices: string): Promise<void> {
    this.set('WaitingForOperator', `${failed.step.title} failed: ${failed.step.lastError}. Fix the cause, then ${choices}.`);
    await condition(decided);
  }
}
