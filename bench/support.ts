/** What the benchmarks share: statistics, the seed's install input, waiting for an install, a process's peak memory. */
import { readdirSync, readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { cpus } from 'node:os';
import type { WorkflowHandle } from '@temporalio/client';
import { installInputOf } from '../src/client/installs';
import type { ThanosSettings } from '../src/request/defaults';
import { validateInstallRequest } from '../src/request/validate';
import type { TestGroundCoordinates } from '../src/testground/coordinates';
import { seedRequestOn } from '../src/testground/seed-request';
import type { installThanos } from '../src/workflows';
import { progressQuery, type InstallInput } from '../src/workflows/contracts';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `median M ms (min–max)`. */
export const spread = (values: number[], unit = ' ms', digits = 0): string =>
  `median ${median(values).toFixed(digits)}${unit} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

/** The seed's request on this test ground's MinIO, as validated settings and workflow input. */
export function seedInput(c: TestGroundCoordinates, namespace: string, clusterName: string, nodePorts?: ThanosSettings['nodePorts']): InstallInput {
  const validated = validateInstallRequest(seedRequestOn(c));
  if (!validated.ok) throw new Error(`seed request invalid: ${JSON.stringify(validated.errors)}`);
  return installInputOf(clusterName, { ...validated.settings, namespace, ...(nodePorts ? { nodePorts } : {}) });
}

/** Waits for the install to succeed; one waiting for the operator fails the bench at once. */
export async function untilInstalled(handle: WorkflowHandle<typeof installThanos>): Promise<void> {
  let done = false;
  const watchdog = async (): Promise<void> => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      if (done) return;
      const progress = await handle.query(progressQuery);
      if (progress.phase === 'WaitingForOperator') throw new Error(`install ${handle.workflowId} failed: ${progress.message}`);
    }
  };
  try {
    await Promise.race([handle.result(), watchdog()]);
  } finally {
    done = true;
  }
}

/** A process's resident set now and at its peak (the kernel's high-water mark), in MiB. */
export function residentMiB(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

const USER_HZ = 100; // Linux's unit of CPU time in /proc

/** A process's command (`comm`) and the CPU seconds it has used so far (user and system). */
export function processCpu(pid: number | string): { comm: string; seconds: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), seconds: (Number(fields[11]) + Number(fields[12])) / USER_HZ };
}

/** CPU seconds each command (`comm`) has used so far, summed over its processes, and the machine's busy and total seconds. */
export function cpuSeconds(): { byCommand: Map<string, number>; busy: number; total: number } {
  const byCommand = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const { comm, seconds } = processCpu(pid);
      byCommand.set(comm, (byCommand.get(comm) ?? 0) + seconds);
    } catch {
      // The process ended while being read.
    }
  }
  const { total, idle } = machineCpu();
  return { byCommand, busy: total - idle, total };
}

/**
 * The machine's CPU seconds so far, over all cores: in all, idle, and stolen
 * (taken by the hypervisor for other guests while this machine wanted to run,
 * which slows everything here without showing as anyone's CPU).
 */
export function machineCpu(): { total: number; idle: number; stolen: number } {
  const machine = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).split(/\s+/).slice(1).map(Number);
  const total = machine.reduce((a, b) => a + b, 0) / USER_HZ;
  return { total, idle: ((machine[3] ?? 0) + (machine[4] ?? 0)) / USER_HZ, stolen: (machine[7] ?? 0) / USER_HZ };
}

/** `machine busy 95% of 2 cores; kube-apiserver 12.3 s, node 10.1 s, …`: what used the CPU between two readings. */
export function describeCpu(before: ReturnType<typeof cpuSeconds>, after: ReturnType<typeof cpuSeconds>, top = 6): string {
  const used = [...after.byCommand].map(([comm, s]) => [comm, s - (before.byCommand.get(comm) ?? 0)] as const).filter(([, s]) => s > 0.05);
  const busy = (after.busy - before.busy) / (after.total - before.total);
  return `machine busy ${(busy * 100).toFixed(0)}% of ${cpus().length} cores; ${used.sort((a, b) => b[1] - a[1]).slice(0, top).map(([comm, s]) => `${comm} ${s.toFixed(1)} s`).join(', ')}`;
}

/** Commander's parser of an option that must be a whole number of at least 1. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`a whole number of at least 1 is needed, got '${value}'.`);
  return n;
}

/** Commander's parser of a comma-separated list of whole numbers of at least 1. */
export const positiveIntegers = (value: string): number[] => value.split(',').map(positiveInteger);

/**
 * Runs a bench's command line; the process exits once it is done and its
 * output is written (a pipe takes it asynchronously), 1 with the reason if it failed.
 */
export function runBench(command: Command): void {
  command
    .parseAsync()
    .then(() => process.stdout.write('', () => process.exit(0)))
    .catch((err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
