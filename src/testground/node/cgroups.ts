import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../process';

const CGROUP_FS = '/sys/fs/cgroup';
const PREFIX = 'thanos-testground-';

/** Every mounted cgroup hierarchy (cgroup v1 controllers, the named systemd one, the unified one). */
function hierarchies(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => {
      const separator = fields.indexOf('-');
      return separator > 0 && (fields[separator + 1] === 'cgroup' || fields[separator + 1] === 'cgroup2');
    })
    .map((fields) => fields[4] as string)
    .filter((mountPoint) => mountPoint.startsWith(`${CGROUP_FS}/`));
}

/** The cgroup under which kubelet puts every pod of this test ground (its cgroupRoot). */
export function cgroupName(supervisorPid: number, runId: string): string {
  return `${PREFIX}${supervisorPid}-${runId}`;
}

/**
 * kubelet's cgroupRoot must exist in every hierarchy before it starts; a new
 * cpuset cgroup has no CPUs or memory nodes until given its parent's.
 */
export function createCgroupRoot(name: string): void {
  for (const hierarchy of hierarchies()) {
    const dir = join(hierarchy, name);
    mkdirSync(dir, { recursive: true });
    if (hierarchy.endsWith('/cpuset')) {
      // cgroup files report no size, so they are read and written rather than copied.
      for (const file of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(dir, file), readFileSync(join(hierarchy, file)));
    }
  }
}

function removeDeepestFirst(dir: string): void {
  for (const entry of readdirSync(dir)) {
    const child = join(dir, entry);
    if (statSync(child).isDirectory()) removeDeepestFirst(child);
  }
  rmdirSync(dir);
}

/**
 * Removes cgroups left by test grounds whose supervisor is gone and whose
 * janitor never ran (the machine's only record of them).
 */
export function sweepStaleCgroups(): void {
  for (const hierarchy of hierarchies()) {
    if (!existsSync(hierarchy)) continue;
    for (const entry of readdirSync(hierarchy)) {
      const owner = entry.startsWith(PREFIX) ? Number(entry.slice(PREFIX.length).split('-')[0]) : NaN;
      if (Number.isNaN(owner) || isAlive(owner)) continue;
      try {
        removeDeepestFirst(join(hierarchy, entry));
      } catch {
        // still has processes: a later sweep removes it
      }
    }
  }
}
