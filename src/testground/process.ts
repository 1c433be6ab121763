import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A server process of the test ground, logging to a file of its own. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly logFile: string;
  /** Set once the process has ended. */
  exitDescription(): string | undefined;
  /** Resolves once the process has ended, with how it ended. */
  readonly exited: Promise<string>;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has ended. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logDir: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Starts a server process that cannot outlive the process that started it:
 * `setpriv --pdeathsig KILL` makes the kernel kill it when its parent dies,
 * however that happens (Ctrl-C, a crash, SIGKILL of the test runner). It runs
 * in its own process group so that a terminal's Ctrl-C reaches only the
 * supervisor, which then stops the servers in order.
 */
export function startProcess(options: StartOptions): ManagedProcess {
  const logFile = join(options.logDir, `${options.name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', options.command, ...options.args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);

  let exit: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      resolve(exit);
    });
    child.once('error', (err) => {
      exit = `could not be started: ${err.message}`;
      resolve(exit);
    });
  });

  const logTail = (lines = 15): string => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };

  return {
    name: options.name,
    pid: child.pid,
    logFile,
    exitDescription: () => exit,
    exited,
    logTail,
    async stop(graceMs = 10_000) {
      if (exit !== undefined || child.pid === undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One readiness check may take this long; a check that hangs counts as a failed one. */
const CHECK_TIMEOUT_MS = 5_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the check did not answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Polls `check` until it returns true. Fails early, naming the component and
 * quoting its log, if the process ends first; fails on timeout the same way.
 */
export async function waitUntilReady(
  proc: ManagedProcess,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    const exit = proc.exitDescription();
    if (exit !== undefined) {
      throw new Error(`${proc.name} ${exit} before ${what}. Last lines of ${proc.logFile}:\n${proc.logTail()}`);
    }
    try {
      if (await withTimeout(check(), CHECK_TIMEOUT_MS)) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${proc.name}: timed out after ${timeoutMs / 1000}s waiting until ${what}` +
          (lastError ? ` (last error: ${lastError})` : '') +
          `. Last lines of ${proc.logFile}:\n${proc.logTail()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * True while a process with this pid runs. A zombie (ended, not yet reaped by
 * its parent) does not count: it holds nothing but its pid.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // The state follows the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Stops processes in reverse start order. */
export async function stopAll(processes: ManagedProcess[]): Promise<void> {
  for (const proc of [...processes].reverse()) await proc.stop();
}

/** The first child of `pid` that runs the command `name` (by its kernel command name), if any yet. */
export function childRunning(pid: number, name: string): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
    return children.find((child) => readFileSync(`/proc/${child}/comm`, 'utf8').trim() === name);
  } catch {
    return undefined;
  }
}
