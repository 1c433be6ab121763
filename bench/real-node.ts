/**
 * `npm run bench:real-node`: what the test ground's real node costs on this
 * machine. Starts a test ground (the cache warm) and times it; installs the
 * seed's request onto the real node, with the worker on the node's network,
 * and times it to Success and on to the first sample a business cluster's
 * Prometheus writes reaching tke-monitor; then prints the resident memory of
 * every process of the test ground, grouped by what it is. Last, the floor:
 * the same objects in a namespace of their own with `kubectl apply
 * --server-side` and `rollout status`, then one sample written to Receive and
 * read back through Query; and the install's time over the floor's.
 *
 * Usage: npm run bench:real-node
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { connectClient, installInputOf, startInstall } from '../src/client/installs';
import { validateInstallRequest } from '../src/request/validate';
import { codecKeysOf } from '../src/testground/coordinates';
import { businessRemoteWriteUrl, waitForSamplesAtTkeMonitor } from '../src/testground/data-path';
import { startTestGround } from '../src/testground/ground';
import { startGroundWorker } from '../src/testground/ground-worker';
import { onRealNode } from '../src/testground/node/addons';
import { startBusinessPrometheus } from '../src/testground/node/business-cluster';
import { seedRequestOn } from '../src/testground/seed-request';
import { installTkeFixture } from '../src/testground/tke-fixture';
import { installThanos } from '../src/workflows';
import { TKE_NAMESPACE } from '../src/request/defaults';
import { kubectlFloor, remoteWriteReadBack } from './kubectl-floor';

/** What each process is, by its command name (the kernel keeps 15 characters). */
const GROUPS: [string, RegExp][] = [
  ['control plane (etcd, kube-apiserver, -controller-manager, -scheduler, kwok)', /^(etcd|kube-apiserver|kube-controller|kube-scheduler|kwok)$/],
  ['real node: kubelet, kube-proxy', /^(kubelet|kube-proxy)$/],
  ['real node: containerd, shims, pause', /^(containerd|containerd-shim|pause)/],
  ['real node: CoreDNS, local-path-provisioner', /^(coredns|local-path-prov)$/],
  ['Thanos (receive, query, store, compact, rule)', /^thanos$/],
  ['TKE stand-ins (tke-monitor-api, -controller, tke-platform-controller)', /^tke-standin$/],
  ['MinIO', /^minio$/],
  ['Temporal dev server with Web UI', /^temporal$/],
  ['business cluster Prometheus (agent)', /^prometheus$/],
  ['worker (node dist/worker.js)', /^node$/],
  ['namespace plumbing (tini, forward, unshare, nsenter, sleep)', /^(tini|forward|unshare|nsenter|sleep)$/],
];

function rssKiB(pid: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return line ? Number(line.split(/\s+/)[1]) : 0;
}

/** The test ground's processes: in its PID namespace, in its pods' cgroups, or started for it on the host. */
function groundProcesses(pidNamespace: string, cgroupRoot: string, hostPids: number[], extraPids: number[]): string[] {
  return readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return readlinkSync(`/proc/${pid}/ns/pid`) === pidNamespace
        || readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`/${cgroupRoot}/`)
        || [...hostPids, ...extraPids].includes(Number(pid));
    } catch {
      return false;
    }
  });
}

function memoryTable(pids: string[]): string {
  const totals = new Map<string, { kib: number; count: number }>();
  for (const pid of pids) {
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    const group = GROUPS.find(([, pattern]) => pattern.test(comm))?.[0] ?? `other (${comm})`;
    const entry = totals.get(group) ?? { kib: 0, count: 0 };
    entry.kib += rssKiB(pid);
    entry.count += 1;
    totals.set(group, entry);
  }
  const mib = (kib: number) => (kib / 1024).toFixed(0).padStart(6);
  const rows = [...totals.entries()].sort((a, b) => b[1].kib - a[1].kib).map(([group, t]) => `${mib(t.kib)} MiB  ${String(t.count).padStart(3)} processes  ${group}`);
  const all = [...totals.values()].reduce((a, t) => a + t.kib, 0);
  return [...rows, `${mib(all)} MiB  in all`].join('\n');
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const seconds = (from: number) => ((Date.now() - from) / 1000).toFixed(1);
  const ground = await startTestGround();
  const c = ground.coordinates;
  console.log(`test ground started (real node Ready, images imported, CoreDNS Ready): ${seconds(t0)} s`);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(c.kubernetes.kubeconfig);
  const worker = startGroundWorker(c, 'bench-real-node');
  const client = await connectClient({ address: c.temporal.address, namespace: c.temporal.namespace, codecKeys: codecKeysOf(c) });
  let prometheus: Awaited<ReturnType<typeof startBusinessPrometheus>> | undefined;
  try {
    await installTkeFixture(kc);
    const validated = validateInstallRequest(seedRequestOn(c, 'real'));
    if (!validated.ok) throw new Error(JSON.stringify(validated.errors));
    const t1 = Date.now();
    const started = await startInstall(client, installInputOf('bench', validated.settings), 'bench-real-node');
    const result = await client.workflow.getHandle<typeof installThanos>(started.workflowId).result();
    const installMs = Date.now() - t1;
    console.log(`install of the seed onto the real node: ${result.phase} in ${seconds(t1)} s; its steps (workflow time):`);
    for (const step of result.progress.steps) {
      console.log(`  ${step.id}: ${((step.finishedAt ?? 0) - (step.startedAt ?? 0)).toFixed(0)} ms${step.result ? ` (${step.result.slice(0, 160)})` : ''}`);
    }
    const t2 = Date.now();
    prometheus = await startBusinessPrometheus(c.businessCluster, {
      remoteWriteUrl: await businessRemoteWriteUrl(kc, TKE_NAMESPACE),
      externalLabels: { cluster: 'bench' },
      dir: join(c.runDir, 'bench-business'),
    });
    await waitForSamplesAtTkeMonitor(kc, TKE_NAMESPACE, 'up{cluster="bench"}', 120_000);
    console.log(`business cluster's first sample at tke-monitor: ${seconds(t2)} s after its Prometheus started`);
    const pidNamespace = readlinkSync(`/proc/${c.realNode.netnsPid}/ns/pid`);
    const extra = [worker.pid, prometheus.pid].filter((p): p is number => p !== undefined);
    console.log(`\nresident memory with Thanos running and data flowing:\n${memoryTable(groundProcesses(pidNamespace, c.realNode.cgroupRoot, c.processes.map((p) => p.pid), extra))}`);

    // The floor: the same objects in a namespace of their own, kubectl only, then one sample read back.
    const floorNamespace = `floor-${Date.now().toString(36)}`;
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: floorNamespace, annotations: onRealNode } } });
    await installTkeFixture(kc, floorNamespace);
    const floorSettings = { ...validated.settings, namespace: floorNamespace, nodePorts: { receiveGrpc: 31901, receiveHttp: 31902, receiveRemoteWrite: 31903 } };
    const applied = await kubectlFloor(c, floorSettings, c.runDir);
    const readBack = await remoteWriteReadBack(kc, floorNamespace);
    const floorMs = applied.ms + readBack;
    console.log([
      `\nfloor: kubectl apply --server-side + rollout status ${(applied.ms / 1000).toFixed(1)} s, then one remote write read back through Query ${(readBack / 1000).toFixed(1)} s: ${(floorMs / 1000).toFixed(1)} s`,
      `install (started to Succeeded, its data path verified) / floor ratio: ${(installMs / floorMs).toFixed(2)}`,
    ].join('\n'));
  } finally {
    await prometheus?.stop();
    await worker.stop();
    await client.connection.close();
    const t3 = Date.now();
    await ground.stop();
    console.log(`test ground stopped: ${seconds(t3)} s`);
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
