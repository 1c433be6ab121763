import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { janitorScript } from '../paths';

/** The test ground's janitor, which cleans up after it however it ends (see scripts/testground/janitor.sh). */
export interface Janitor {
  /** Tells it to clean up now and waits until it has; with keepRunDir, the logs stay. */
  finish(keepRunDir?: boolean): Promise<void>;
}

/**
 * Starts the janitor detached (its own session, no death signal), holding a
 * pipe from this process: if this process dies, the pipe closes and the
 * janitor cleans up anyway.
 */
export function startJanitor(initPid: number, cgroupName: string, runDir: string): Janitor {
  const log = openSync(join(runDir, 'logs', 'janitor.log'), 'a');
  const child = spawn('bash', [janitorScript, String(initPid), cgroupName, runDir], {
    stdio: ['pipe', log, log],
    detached: true,
  });
  closeSync(log);
  child.unref();
  // The pipe must not keep this process alive either.
  (child.stdin as Socket).unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async finish(keepRunDir = false) {
      child.ref();
      child.stdin?.end(keepRunDir ? 'keep-run-dir\n' : '');
      await exited;
    },
  };
}
