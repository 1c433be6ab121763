/**
 * `npm run bench:real-node`: what the test ground's real node costs on this
 * machine. Starts a test ground (the cache warm) and times it. Then, after
 * one untimed floor that warms the node (the first pods of an image start
 * slower), N rounds of: the floor (the seed's objects in a namespace of their
 * own with `kubectl apply --server-side` and `rollout status`, then one
 * sample written to Receive and read back through Query), and the install of
 * the seed's request (with the worker on the node's network) to Succeeded,
 * its data path verified. Each namespace is deleted before the next is timed,
 * so each runs on a node with nothing else of theirs. Prints each round, the
 * install's steps, and the ratio of the medians. Last, on the last install: a
 * business cluster's Prometheus until its first sample reaches tke-monitor,
 * and the resident memory of every process of the test ground, grouped by
 * what it is.
 *
 * Usage: npm run bench:real-node [-- --rounds N]
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { connectClient, installInputOf, startInstall } from '../src/client/installs';
import { isNotFound } from '../src/kube/patch';
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
import { Command } from 'commander';
import { kubectlFloor, remoteWriteReadBack } from './kubectl-floor';
import { median, positiveInteger, runBench, spread } from './support';

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

/** NodePorts of the floor's and the installs' Receive: each namespace is deleted before the next takes them. */
const FLOOR_NODE_PORTS = { receiveGrpc: 31901, receiveHttp: 31902, receiveRemoteWrite: 31903 };
const INSTALL_NODE_PORTS = { receiveGrpc: 31801, receiveHttp: 31802, receiveRemoteWrite: 31803 };

async function main({ rounds }: { rounds: number }): Promise<void> {
  const t0 = Date.now();
  const seconds = (from: number) => ((Date.now() - from) / 1000).toFixed(1);
  const ground = await startTestGround();
  const c = ground.coordinates;
  console.log(`test ground started (real node Ready, images imported, CoreDNS Ready): ${seconds(t0)} s`);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(c.kubernetes.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  /** Deletes a namespace and waits until it is gone (its pods stopped, its volumes released). */
  const deleteNamespace = async (name: string) => {
    await core.deleteNamespace({ name });
    for (;;) {
      try {
        await core.readNamespace({ name });
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const worker = startGroundWorker(c, 'bench-real-node');
  const client = await connectClient({ address: c.temporal.address, namespace: c.temporal.namespace, codecKeys: codecKeysOf(c) });
  let prometheus: Awaited<ReturnType<typeof startBusinessPrometheus>> | undefined;
  try {
    const validated = validateInstallRequest(seedRequestOn(c, 'real'));
    if (!validated.ok) throw new Error(JSON.stringify(validated.errors));
    /** A namespace whose pods run on the real node, with TKE's stand-ins in it. */
    const namespaceFor = async (name: string) => {
      const namespace = `${name}-${Date.now().toString(36)}`;
      await core.createNamespace({ body: { metadata: { name: namespace, annotations: onRealNode } } });
      await installTkeFixture(kc, namespace);
      return namespace;
    };
    const floorIn = async (name: string) => {
      const namespace = await namespaceFor(name);
      const applied = await kubectlFloor(c, { ...validated.settings, namespace, nodePorts: FLOOR_NODE_PORTS }, c.runDir);
      const readBack = await remoteWriteReadBack(kc, namespace);
      await deleteNamespace(namespace);
      return { ms: applied.ms + readBack, applied: applied.ms, readBack };
    };
    const installIn = async (round: number) => {
      const namespace = await namespaceFor(`install-${round}`);
      const start = Date.now();
      const started = await startInstall(client, installInputOf(`bench-${round}`, { ...validated.settings, namespace, nodePorts: INSTALL_NODE_PORTS }), 'bench-real-node');
      const result = await client.workflow.getHandle<typeof installThanos>(started.workflowId).result();
      if (result.phase !== 'Succeeded') throw new Error(`install ${round} ended ${result.phase}`);
      return { ms: Date.now() - start, namespace, steps: result.progress.steps };
    };

    await floorIn('warm-up');
    const floors: Awaited<ReturnType<typeof floorIn>>[] = [];
    const installs: Awaited<ReturnType<typeof installIn>>[] = [];
    for (let round = 1; round <= rounds; round++) {
      const floor = await floorIn(`floor-${round}`);
      floors.push(floor);
      const install = await installIn(round);
      installs.push(install);
      const slowest = install.steps.map((step) => ({ id: step.id, ms: (step.finishedAt ?? 0) - (step.startedAt ?? 0) })).reduce((a, b) => (b.ms > a.ms ? b : a));
      console.log(
        `round ${round}/${rounds}: floor ${(floor.ms / 1000).toFixed(1)} s (kubectl apply --server-side + rollout status ${(floor.applied / 1000).toFixed(1)} s, ` +
          `one remote write read back through Query ${(floor.readBack / 1000).toFixed(1)} s); install to Succeeded, its data path verified, ${(install.ms / 1000).toFixed(1)} s (slowest step ${slowest.id}, ${slowest.ms} ms)`,
      );
      // The last install stays for the business cluster and the memory table.
      if (round < rounds) await deleteNamespace(install.namespace);
    }
    console.log('median per install step (workflow time):');
    for (const { id } of installs[0]?.steps ?? []) {
      const times = installs.map((install) => install.steps.find((step) => step.id === id)).map((step) => (step?.finishedAt ?? 0) - (step?.startedAt ?? 0));
      console.log(`  ${id}: ${median(times).toFixed(0)} ms (${times.join(', ')})`);
    }
    const last = installs[installs.length - 1] as (typeof installs)[number];

    const t2 = Date.now();
    prometheus = await startBusinessPrometheus(c.businessCluster, {
      remoteWriteUrl: await businessRemoteWriteUrl(kc, last.namespace),
      externalLabels: { cluster: 'bench' },
      dir: join(c.runDir, 'bench-business'),
    });
    await waitForSamplesAtTkeMonitor(kc, last.namespace, 'up{cluster="bench"}', 120_000);
    console.log(`business cluster's first sample at tke-monitor: ${seconds(t2)} s after its Prometheus started`);
    const pidNamespace = readlinkSync(`/proc/${c.realNode.netnsPid}/ns/pid`);
    const extra = [worker.pid, prometheus.pid].filter((p): p is number => p !== undefined);
    console.log(`\nresident memory with Thanos running and data flowing:\n${memoryTable(groundProcesses(pidNamespace, c.realNode.cgroupRoot, c.processes.map((p) => p.pid), extra))}`);

    const floorMs = median(floors.map((f) => f.ms));
    const installMs = median(installs.map((i) => i.ms));
    console.log([
      `\nfloor: ${spread(floors.map((f) => f.ms))}`,
      `install: ${spread(installs.map((i) => i.ms))}`,
      `install (started to Succeeded, its data path verified) / floor ratio: ${(installMs / floorMs).toFixed(2)} (medians of ${rounds} rounds)`,
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

runBench(
  new Command('bench-real-node')
    .option('--rounds <n>', 'floors and installs measured, one after the other', positiveInteger, 3)
    .action(main),
);
