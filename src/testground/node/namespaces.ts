import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { childRunning, startProcess, waitUntilReady, type ManagedProcess } from '../process';
import { CONTAINED_RANGES, NODE_BRIDGE, NODE_IP, NODE_LAN_PREFIX } from './network';

const run = promisify(execFile);

/** Where Debian's tini lives: the init of the test ground's PID namespace, which reaps orphans. */
const TINI = '/usr/bin/tini';

/**
 * The kernel settings kubelet insists on (protectKernelDefaults). They are
 * global, not per namespace, so the test ground never writes them: inside its
 * private mount namespace, files holding these values are bind-mounted over
 * the /proc/sys entries, and kubelet reads what it expects.
 */
const KUBELET_SYSCTLS: Record<string, string> = {
  'vm/overcommit_memory': '1',
  'vm/panic_on_oom': '0',
  'kernel/panic': '10',
  'kernel/panic_on_oops': '1',
  'kernel/keys/root_maxkeys': '1000000',
  'kernel/keys/root_maxbytes': '25000000',
};

/** The chain that drops any packet addressed outside the test ground's own ranges. */
const CONTAIN_CHAIN = 'TESTGROUND-CONTAIN';

/**
 * The test ground's own PID, network and mount namespaces, held by one init
 * process. Every server of the cluster joins them; when the init dies, the
 * kernel kills every process in them, and the network namespace (with its
 * devices, addresses, routes and iptables rules) and the mounts vanish.
 */
export interface GroundNamespaces {
  /** The init's pid as the host sees it. */
  readonly initPid: number;
  /** The network namespace, as a path other tools can open. */
  readonly netns: string;
  /** The unshare process that holds the init; it ends when the namespaces do. */
  readonly holder: ManagedProcess;
  /** `nsenter` arguments that run a command in the namespaces (network only, or all three). */
  enter(scope?: 'network' | 'all'): string[];
  /** Runs a command to completion in the network and mount namespaces; rejects with its stderr. */
  exec(command: string, args: string[]): Promise<string>;
  /** Kills every process in the namespaces and waits until they are gone. */
  stop(): Promise<void>;
}

/**
 * Creates the namespaces. `unshare` runs under the supervisor's death signal
 * and takes its child (the init) down with it, so a supervisor killed outright
 * still takes everything in the namespaces with it.
 */
export async function createGroundNamespaces(dir: string, logDir: string): Promise<GroundNamespaces> {
  const holder = startProcess({
    name: 'ground-init',
    command: 'unshare',
    args: ['--pid', '--net', '--mount', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private',
      '--', TINI, '-w', '--', 'sleep', 'infinity'],
    logDir,
  });
  let initPid: number | undefined;
  await waitUntilReady(holder, 'its init (tini) ran in the new namespaces', async () => {
    initPid = holder.pid === undefined ? undefined : childRunning(holder.pid, 'tini');
    return initPid !== undefined;
  }, 10_000);
  const pid = initPid as number;
  const enter = (scope: 'network' | 'all' = 'all'): string[] =>
    scope === 'network' ? ['-t', String(pid), '-n', '--'] : ['-t', String(pid), '-n', '-m', '-p', '--'];
  const exec = async (command: string, args: string[]): Promise<string> => {
    try {
      return (await run('nsenter', ['-t', String(pid), '-n', '-m', '--', command, ...args])).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${command} ${args.join(' ')} inside the test ground failed: ${e.stderr?.trim() || e.message}`);
    }
  };
  const namespaces: GroundNamespaces = {
    initPid: pid,
    netns: `/proc/${pid}/ns/net`,
    holder,
    enter,
    exec,
    async stop() {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      // unshare reaps the init only once the kernel has killed every process
      // in its namespace. Should that hang, stopping unshare ends the wait.
      const gone = await Promise.race([holder.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 15_000).unref())]);
      if (!gone) await holder.stop();
    },
  };
  try {
    await prepareMounts(namespaces, dir);
    await prepareNetwork(namespaces);
  } catch (err) {
    await namespaces.stop();
    throw err;
  }
  return namespaces;
}

/**
 * Private mounts: fresh tmpfs over /run, /var/lib and /var/log, so that
 * containerd, kubelet and CNI keep all their state in the test ground; the
 * sysctl values kubelet checks; and a resolv.conf without any nameserver, so
 * nothing inside ever asks a resolver outside.
 */
async function prepareMounts(ns: GroundNamespaces, dir: string): Promise<void> {
  const resolvConf = join(dir, 'resolv.conf');
  writeFileSync(resolvConf, '# the test ground has no resolver beyond cluster DNS\noptions timeout:1 attempts:1\n');
  const lines = ['set -e'];
  for (const path of ['/run', '/var/lib', '/var/log']) lines.push(`mount -t tmpfs -o mode=0755 testground ${path}`);
  for (const [key, value] of Object.entries(KUBELET_SYSCTLS)) {
    const file = join(dir, `sysctl-${key.replace(/\//g, '.')}`);
    writeFileSync(file, `${value}\n`);
    lines.push(`mount --bind ${file} /proc/sys/${key}`);
  }
  lines.push(`mount --bind ${resolvConf} /etc/resolv.conf`);
  await ns.exec('sh', ['-c', lines.join('\n')]);
}

/**
 * The node's LAN on a bridge of its own, IP forwarding (per namespace) for the
 * pods, and the containment rule.
 */
async function prepareNetwork(ns: GroundNamespaces): Promise<void> {
  const allow = CONTAINED_RANGES.map((range) => `iptables -A ${CONTAIN_CHAIN} -d ${range} -j RETURN`);
  await ns.exec('sh', ['-c', [
    'set -e',
    'ip link set lo up',
    `ip link add ${NODE_BRIDGE} type bridge`,
    `ip addr add ${NODE_IP}/${NODE_LAN_PREFIX} dev ${NODE_BRIDGE}`,
    `ip link set ${NODE_BRIDGE} up`,
    'echo 1 > /proc/sys/net/ipv4/ip_forward',
    `iptables -N ${CONTAIN_CHAIN}`,
    ...allow,
    `iptables -A ${CONTAIN_CHAIN} -j DROP`,
    `iptables -I OUTPUT -j ${CONTAIN_CHAIN}`,
    `iptables -I FORWARD -j ${CONTAIN_CHAIN}`,
  ].join('\n')]);
}
