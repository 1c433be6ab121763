/**
 * The progress of an install or removal: pure data and pure transitions, so
 * the workflow, the query, the API and the CLI all agree on it.
 */
import type { StepId } from './steps';

export type StepState = 'pending' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'skipped';

export interface StepProgress {
  id: StepId;
  title: string;
  state: StepState;
  attempts: number;
  /** Epoch milliseconds. */
  startedAt?: number;
  finishedAt?: number;
  /** What the step found or did, once it succeeded. */
  result?: string;
  lastError?: string;
}

/**
 * Running: steps are being carried out. WaitingForOperator: a step failed for
 * good; `retry` or `rollback` decides. RollingBack: the install is being
 * taken away. Succeeded, RolledBack, Uninstalled: finished. Failed: a check
 * (`verifyThanos`) found a fault; it changes nothing, so nothing waits.
 */
export type Phase = 'Running' | 'WaitingForOperator' | 'RollingBack' | 'Succeeded' | 'RolledBack' | 'Uninstalled' | 'Failed';

export interface Progress {
  kind: 'install' | 'reconfigure' | 'uninstall' | 'verify';
  clusterName: string;
  phase: Phase;
  /** One line saying what happens now. */
  message: string;
  steps: StepProgress[];
  /** Rollback steps, once a rollback has begun. */
  rollbackSteps: StepProgress[];
  /** Things the operator must know (GLOBAL_NODE_IP, load balancer ports, unchecked bucket). */
  notes: string[];
}

export function newSteps(plan: readonly { id: StepId; title: string }[]): StepProgress[] {
  return plan.map(({ id, title }) => ({ id, title, state: 'pending', attempts: 0 }));
}

export function startAttempt(step: StepProgress, now: number): void {
  step.state = 'running';
  step.attempts += 1;
  step.startedAt ??= now;
  step.finishedAt = undefined;
}

export function succeed(step: StepProgress, now: number, result: string): void {
  step.state = 'succeeded';
  step.finishedAt = now;
  step.result = result;
  step.lastError = undefined;
}

export function failAttempt(step: StepProgress, now: number, error: string, final: boolean): void {
  step.state = final ? 'failed' : 'retrying';
  step.lastError = error;
  if (final) step.finishedAt = now;
}

/** A step that this install's settings leave out: never run, with the reason. */
export function skip(step: StepProgress, reason: string): void {
  step.state = 'skipped';
  step.result = reason;
}

/** Makes a failed step runnable again (after `retry`), keeping its attempt count. */
export function resetForRetry(step: StepProgress): void {
  step.state = 'pending';
  step.finishedAt = undefined;
}

function duration(step: StepProgress, now: number): string {
  if (step.startedAt === undefined) return '';
  const ms = (step.finishedAt ?? now) - step.startedAt;
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** How a step's state shows in the Web UI and the CLI. */
export const STEP_MARKS: Record<StepState, string> = {
  pending: '·',
  running: '▶',
  retrying: '↻',
  succeeded: '✓',
  failed: '✗',
  skipped: '–',
};

/** One line for a step: its mark, its title, the attempt after the first, its result or last error. */
export function stepLine(
  step: Pick<StepProgress, 'state' | 'title' | 'attempts' | 'result' | 'lastError'>,
  marks: Record<StepState, string> = STEP_MARKS,
): string {
  const detail = step.lastError ?? step.result;
  const attempts = step.attempts > 1 ? ` (attempt ${step.attempts})` : '';
  return `${marks[step.state]} ${step.title}${attempts}${detail ? `: ${detail}` : ''}`;
}

/** A Markdown table of the steps: the Web UI shows it as the workflow's current details. */
export function stepTable(progress: Progress, now: number): string {
  const escape = (text: string | undefined): string => (text ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = (steps: StepProgress[]): string[] =>
    steps.map(
      (s) =>
        `| ${STEP_MARKS[s.state]} ${escape(s.title)} | ${s.state} | ${s.attempts} | ${duration(s, now)} | ${escape(s.lastError ?? s.result)} |`,
    );
  const header = ['| Step | State | Attempts | Time | Result or last error |', '|---|---|---|---|---|'];
  const sections = [`**${progress.phase}**: ${escape(progress.message)}`, '', ...header, ...rows(progress.steps)];
  if (progress.rollbackSteps.length > 0) sections.push('', '**Rollback**', '', ...header, ...rows(progress.rollbackSteps));
  if (progress.notes.length > 0) sections.push('', ...progress.notes.map((n) => `- ${escape(n)}`));
  return sections.join('\n');
}
