import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { ApiAnswer, ProgressDto, StepDto } from '../client/api-client';
import { stepLine } from '../workflows/progress';
import type { CliIo } from './io';


/** Where the last "waiting for a worker" line is remembered, beside the steps seen. */
const WORKER_WAIT = '(worker)';

/**
 * Follows a progress (an install's, a removal's or a data-path check's, as
 * `fetchProgress` reads it from the API) until it ends or waits for the
 * operator, showing a live bar on a terminal and one line per step change
 * elsewhere. Resolves to the last progress seen.
 */
export async function followProgress(
  fetchProgress: () => Promise<ApiAnswer<ProgressDto>>,
  io: CliIo,
  live: boolean,
  intervalMs = 500,
): Promise<ProgressDto> {
  const seen = new Map<string, string>();
  let multibar: MultiBar | undefined;
  let bar: SingleBar | undefined;
  const print = (line: string) => (multibar ? multibar.log(`${line}\n`) : io.stderr.write(`${line}\n`));
  try {
    for (;;) {
      const answer = await fetchProgress();
      const progress = answer.body as ProgressDto;
      if (answer.httpStatus === 503) {
        // The install runs, but no worker answered yet (starting, or restarting): say so once, and keep following.
        const waiting = `waiting for a worker: ${progress.data ?? answer.body.message}`;
        if (seen.get(WORKER_WAIT) !== waiting) print(waiting);
        seen.set(WORKER_WAIT, waiting);
        await new Promise((r) => setTimeout(r, intervalMs));
        continue;
      }
      if (answer.httpStatus !== 200) throw new Error(`progress: HTTP ${answer.httpStatus}: ${progress.data ?? answer.body.message}`);
      const steps: StepDto[] = [...(progress.steps ?? []), ...(progress.rollbackSteps ?? [])];
      if (live && !multibar) {
        multibar = new MultiBar({ format: ' {bar} {value}/{total} steps | {status} | {step}', hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
        bar = multibar.create(steps.length, 0, { status: progress.status, step: '' });
      }
      for (const step of steps) {
        const key = `${step.state}/${step.attempts}`;
        if (seen.get(step.id) === key || step.state === 'pending') continue;
        seen.set(step.id, key);
        if (step.state !== 'running' || step.attempts > 1) print(stepLine(step));
      }
      // Some steps run at the same time (the data-path check while the TKE components restart).
      const current = steps.filter((s) => s.state === 'running' || s.state === 'retrying').map((s) => s.title);
      bar?.update(steps.filter((s) => s.state === 'succeeded').length, { status: progress.status, step: current.join(' + ') || progress.phase || '' });
      if (progress.status === 'Success' || progress.status === 'Failed') return progress;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    multibar?.stop();
  }
}
