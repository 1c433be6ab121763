/**
 * What a test ground could change on the machine, seen from the host: network
 * devices, addresses, routes, iptables rules, mounts, cgroups and kernel
 * settings. A test ground keeps all of it in namespaces of its own, so the
 * host's view is the same before it starts and after it stops.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface HostState {
  links: string[];
  addresses: string[];
  routes: string[];
  iptables: string[];
  mounts: string[];
  /** Test ground cgroups (kubelet's cgroupRoot) in any hierarchy. */
  cgroups: string[];
  sysctls: string[];
}

/** Kernel settings that are counters, not settings: they move on their own. */
const VOLATILE_SYSCTLS = /^(fs\.(dentry-state|file-nr|inode-nr|inode-state|aio-nr)|kernel\.ns_last_pid|kernel\.random\.\S+|kernel\.pty\.nr|net\.netfilter\.nf_conntrack_count) = /;

const lines = async (command: string, args: string[]): Promise<string[]> =>
  (await run(command, args, { maxBuffer: 16 * 1024 * 1024 })).stdout.split('\n').filter(Boolean);

export async function hostState(): Promise<HostState> {
  const cgroups = readdirSync('/sys/fs/cgroup').flatMap((hierarchy) => {
    try {
      return readdirSync(`/sys/fs/cgroup/${hierarchy}`).filter((d) => d.startsWith('thanos-testground-')).map((d) => `${hierarchy}/${d}`);
    } catch {
      return [];
    }
  });
  return {
    // Interface statistics and link state flags move on their own; names and types do not.
    links: (await lines('ip', ['-o', 'link'])).map((l) => l.split(' ').slice(0, 2).join(' ')),
    addresses: (await lines('ip', ['-o', 'addr'])).map((l) => l.replace(/valid_lft.*$/, '')),
    routes: await lines('ip', ['route', 'show', 'table', 'all']),
    // Counters move; rules and chains do not.
    iptables: (await lines('iptables-save', [])).filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[4] as string).sort(),
    cgroups: cgroups.sort(),
    sysctls: (await lines('sysctl', ['-a'])).filter((l) => !VOLATILE_SYSCTLS.test(l)),
  };
}

/** The namespaces (as `type:[inode]`) a process is in. */
export function namespacesOf(pid: number, types = ['pid', 'net', 'mnt']): string[] {
  return types.map((type) => readlinkSync(`/proc/${pid}/ns/${type}`));
}

/** Every process still in one of these namespaces. */
export function processesIn(namespaces: string[]): number[] {
  const wanted = new Set(namespaces);
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    for (const type of ['pid', 'net', 'mnt']) {
      try {
        if (wanted.has(readlinkSync(`/proc/${entry}/ns/${type}`))) {
          found.push(Number(entry));
          break;
        }
      } catch {
        // the process ended while we looked
      }
    }
  }
  return found;
}
