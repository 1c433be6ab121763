/**
 * A business cluster, as the global cluster sees one: a host of its own on
 * the node's LAN (a network namespace linked to the node's bridge), outside
 * the global cluster, that reaches it only through GLOBAL_NODE_IP. Its
 * Prometheus (Debian's, in agent mode) remote-writes to the URL
 * tke-platform-controller hands out.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dump } from 'js-yaml';
import { debPath } from '../paths';
import { childRunning, startProcess, waitUntilReady, type ManagedProcess } from '../process';
import type { GroundNamespaces } from './namespaces';
import { BUSINESS_CLUSTER_IP, NODE_BRIDGE, NODE_LAN_PREFIX } from './network';

const run = promisify(execFile);

export interface BusinessClusterCoordinates {
  /** A process (as the host sees it) whose network namespace is the business cluster's. */
  netnsPid: number;
  ip: string;
}

/**
 * Creates the business cluster's network namespace, held by a process in the
 * test ground's PID namespace (so it ends with the test ground), and plugs it
 * into the node's LAN with a veth pair.
 */
export async function createBusinessCluster(ns: GroundNamespaces, logDir: string): Promise<{ coordinates: BusinessClusterCoordinates; process: ManagedProcess }> {
  const holder = startProcess({
    name: 'business-cluster',
    command: 'nsenter',
    args: [...ns.enter(), 'unshare', '--net', '--', 'sleep', 'infinity'],
    logDir,
  });
  let netnsPid: number | undefined;
  await waitUntilReady(holder, 'its network namespace existed', async () => {
    // nsenter forks into the PID namespace; its child becomes `sleep` once unshare has run.
    netnsPid = holder.pid === undefined ? undefined : childRunning(holder.pid, 'sleep');
    return netnsPid !== undefined;
  }, 10_000);
  const pid = netnsPid as number;
  const inNode = (script: string) => run('nsenter', ['-t', String(ns.initPid), '-n', '--', 'sh', '-c', script]);
  const inBusiness = (script: string) => run('nsenter', ['-t', String(pid), '-n', '--', 'sh', '-c', script]);
  try {
    await inNode(`set -e
ip link add tgbiz0 type veth peer name eth0 netns /proc/${pid}/ns/net
ip link set tgbiz0 master ${NODE_BRIDGE}
ip link set tgbiz0 up`);
    await inBusiness(`set -e
ip link set lo up
ip addr add ${BUSINESS_CLUSTER_IP}/${NODE_LAN_PREFIX} dev eth0
ip link set eth0 up`);
  } catch (err) {
    await holder.stop();
    throw new Error(`plugging the business cluster into the node's LAN failed: ${(err as { stderr?: string }).stderr || (err as Error).message}`);
  }
  return { coordinates: { netnsPid: pid, ip: BUSINESS_CLUSTER_IP }, process: holder };
}

export interface BusinessPrometheusOptions {
  /** The remote_write URL, as tke-platform-controller would give it. */
  remoteWriteUrl: string;
  /** External labels that make this cluster's series recognisable. */
  externalLabels: Record<string, string>;
  dir: string;
}

/** Debian's Prometheus in agent mode: scrapes itself every second and remote-writes every sample. */
export function prometheusConfig(options: Pick<BusinessPrometheusOptions, 'remoteWriteUrl' | 'externalLabels'>): string {
  return dump({
    global: { scrape_interval: '1s', external_labels: options.externalLabels },
    scrape_configs: [{ job_name: 'prometheus', static_configs: [{ targets: ['127.0.0.1:9090'] }] }],
    remote_write: [{ url: options.remoteWriteUrl, queue_config: { batch_send_deadline: '1s', min_backoff: '100ms', max_backoff: '1s' } }],
  });
}

/** Starts the business cluster's Prometheus; stop it with the returned process. */
export async function startBusinessPrometheus(
  business: BusinessClusterCoordinates,
  options: BusinessPrometheusOptions,
): Promise<ManagedProcess> {
  mkdirSync(join(options.dir, 'data'), { recursive: true });
  const config = join(options.dir, 'prometheus.yml');
  writeFileSync(config, prometheusConfig(options));
  const prometheus = startProcess({
    name: 'business-prometheus',
    command: 'nsenter',
    args: ['-t', String(business.netnsPid), '-n', '--', debPath('prometheus', 'usr/bin/prometheus'),
      '--enable-feature=agent',
      `--config.file=${config}`,
      `--storage.agent.path=${join(options.dir, 'data')}`,
      '--web.listen-address=127.0.0.1:9090'],
    logDir: options.dir,
  });
  await waitUntilReady(prometheus, 'it was ready', async () => {
    await run('nsenter', ['-t', String(business.netnsPid), '-n', '--', 'bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/9090']);
    return true;
  }, 30_000);
  return prometheus;
}
