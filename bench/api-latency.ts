/**
 * `npm run bench:api`: latency of the API under load on the local test
 * ground, with the API and a worker each in its own process as operators run
 * them. After one real install, sends the same request again (compared with
 * the cluster, then answered with the existing install), asks the install's
 * progress, and sends invalid requests (refused by validation), each from C
 * concurrent clients for every C given (autocannon, after a warm-up), and
 * prints p50/p99, the Temporal calls each answer made (the API's own count,
 * from its /metrics) and the CPU each answer cost the API and the clients.
 *
 * Usage: npm run bench:api [-- --requests N --concurrency 16,64]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import * as k8s from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { Command } from 'commander';
import { InstallerApi } from '../src/client/api-client';
import { connectClient } from '../src/client/installs';
import { codecKeysOf, readCoordinates, workerEnvOn } from '../src/testground/coordinates';
import { startTestGround } from '../src/testground/ground';
import { projectRoot } from '../src/testground/paths';
import { freePorts } from '../src/testground/ports';
import { seedRequestOn } from '../src/testground/seed-request';
import { installTkeFixture } from '../src/testground/tke-fixture';
import { checkWorker } from '../src/workflows';
import { DRIFT_MEMO, driftWatchWorkflowIdFor, type DriftState } from '../src/workflows/contracts';
import { watchSaysInSync } from '../src/client/drift-watch';
import { machineCpu, positiveInteger, positiveIntegers, processCpu, runBench } from './support';

interface Kind {
  name: string;
  expected: number;
  request: { method: 'GET' | 'POST'; path: string; body?: unknown };
}

/** `amount` requests of one kind from `connections` clients (keep-alive, one request at a time each). */
async function load(url: string, token: string, kind: Kind, connections: number, amount: number): Promise<autocannon.Result> {
  const result = await autocannon({
    url: `${url}${kind.request.path}`,
    method: kind.request.method,
    headers: { authorization: `Bearer ${token}`, ...(kind.request.body !== undefined && { 'content-type': 'application/json' }) },
    body: kind.request.body === undefined ? undefined : JSON.stringify(kind.request.body),
    connections,
    amount,
  });
  const answered = result.statusCodeStats?.[String(kind.expected) as keyof typeof result.statusCodeStats]?.count ?? 0;
  if (answered !== amount) throw new Error(`${kind.name}: expected HTTP ${kind.expected} for all ${amount}, got ${JSON.stringify(result.statusCodeStats)} (${result.errors} errors)`);
  return result;
}

/**
 * How soon the API stops answering the same request from the drift watch
 * after an edit: scales Query by hand and asks the watch (as the API does)
 * every few milliseconds until it no longer says "in sync".
 */
async function driftNoticed(kc: k8s.KubeConfig, client: Client, namespace: string): Promise<string> {
  const watch = client.workflow.getHandle(driftWatchWorkflowIdFor(namespace));
  const trusted = async () => {
    const described = await watch.describe();
    return watchSaysInSync(described, (described.memo?.[DRIFT_MEMO] as DriftState | undefined)?.settingsFingerprint ?? '');
  };
  if (!(await trusted())) return 'drift watch: not in sync before the edit (nothing measured)';
  const edited = performance.now();
  await kc.makeApiClient(k8s.AppsV1Api).patchNamespacedDeployment(
    { name: 'thanos-query', namespace, body: { spec: { replicas: 2 } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  while (await trusted()) {
    if (performance.now() - edited > 10_000) return 'drift watch: still "in sync" 10 s after an edit';
    await new Promise((r) => setTimeout(r, 2));
  }
  return `drift watch: the same request is planned again ${(performance.now() - edited).toFixed(0)} ms after an edit (Query scaled by hand), and by the API at most 50 ms later (the age of the descriptions it answers from)`;
}

/** `node dist/<script>` as its own process, as operators run it. */
function startProcess(script: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [resolve(projectRoot, 'dist', script)], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The API's count of its Temporal calls by method, from its /metrics. */
async function temporalCalls(url: string, token: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const calls = new Map<string, number>();
  for (const match of text.matchAll(/^thanos_installer_api_temporal_calls_total\{method="(\w+)"\} (\d+)$/gm)) {
    calls.set(match[1] as string, Number(match[2]));
  }
  return calls;
}

/** `2.000 Temporal calls per answer (DescribeWorkflowExecution 1.000, ...)`: the calls made between two counts. */
function callsPerAnswer(before: Map<string, number>, after: Map<string, number>, answers: number): string {
  const made = [...after].map(([method, n]) => [method, n - (before.get(method) ?? 0)] as const).filter(([, n]) => n > 0);
  const total = made.reduce((sum, [, n]) => sum + n, 0);
  return `${(total / answers).toFixed(3)} Temporal calls per answer${made.length ? ` (${made.map(([m, n]) => `${m} ${(n / answers).toFixed(3)}`).join(', ')})` : ''}`;
}

/** Requests of each kind sent before timing, so that what runs is compiled and cached as in a running API. */
const WARM_UP = 200;

async function main(options: { requests: number; concurrency: number[]; logLevel: string }): Promise<void> {
  const { requests: total, concurrency: concurrencies } = options;
  const external = process.env.THANOS_TESTGROUND_COORDINATES;
  const ground = external ? undefined : await startTestGround();
  const c = ground?.coordinates ?? readCoordinates(external);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(c.kubernetes.kubeconfig);
  const namespace = `latency-${Date.now().toString(36)}`;
  await installTkeFixture(kc, namespace);
  const taskQueue = `latency-${Date.now().toString(36)}`;
  const token = randomBytes(24).toString('hex');
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const worker = startProcess('worker.js', workerEnvOn(c, taskQueue));
  const workerEnv = workerEnvOn(c, taskQueue);
  const apiProcess = startProcess('api/main.js', {
    TEMPORAL_ADDRESS: workerEnv.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: workerEnv.TEMPORAL_NAMESPACE,
    THANOS_INSTALLER_CODEC_KEY: workerEnv.THANOS_INSTALLER_CODEC_KEY,
    THANOS_INSTALLER_API_TOKEN: token,
    THANOS_INSTALLER_CLUSTERS: `${namespace}=${taskQueue}`,
    THANOS_INSTALLER_TKE_NAMESPACE: namespace,
    PORT: String(port),
    LOG_LEVEL: options.logLevel,
  });
  const client = await connectClient({ address: c.temporal.address, namespace: c.temporal.namespace, codecKeys: codecKeysOf(c) });
  const api = new InstallerApi(url, token);
  try {
    // Not timed: the worker polls and the API listens.
    await client.workflow.execute(checkWorker, { taskQueue, workflowId: `${taskQueue}-warm-up` });
    for (let tries = 0; !(await fetch(`${url}/healthz`).then((r) => r.ok, () => false)); tries++) {
      if (tries > 100) throw new Error('the API did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const request = seedRequestOn(c);
    request.cluster.metadata = { name: namespace };
    request.config.monitor.thanos.nodePorts = { receiveGrpc: 30901, receiveHttp: 30902, receiveRemoteWrite: 30903 };
    const first = performance.now();
    const started = await api.install(request);
    const startLatency = performance.now() - first;
    if (started.httpStatus !== 202) throw new Error(`install refused: ${JSON.stringify(started.body)}`);
    await client.workflow.getHandle(started.body.workflowId).result();

    const invalid = structuredClone(request);
    delete invalid.config.monitor.thanos.bucketConfig.config.bucket;
    const kinds: Kind[] = [
      { name: 'same request again (compared with the cluster, answers the existing install)', expected: 200, request: { method: 'POST', path: '/api/cluster', body: request } },
      { name: 'progress of the finished install', expected: 200, request: { method: 'GET', path: `/api/cluster/${namespace}/progress` } },
      { name: 'invalid request (refused, every field error listed)', expected: 400, request: { method: 'POST', path: '/api/cluster', body: invalid } },
    ];
    const lines = [`first request (starts the install): ${startLatency.toFixed(1)} ms`, 'latencies as autocannon measures them, in whole milliseconds; req/s = clients / mean latency'];
    for (const concurrency of concurrencies) {
      lines.push(`${concurrency} concurrent clients, ${total} requests per kind after ${WARM_UP} untimed:`);
      for (const kind of kinds) {
        await load(url, token, kind, concurrency, WARM_UP);
        const before = await temporalCalls(url, token);
        const apiCpu = processCpu(apiProcess.pid as number).seconds;
        const clientCpu = process.cpuUsage();
        const machineBefore = machineCpu();
        const result = await load(url, token, kind, concurrency, total);
        const machineAfter = machineCpu();
        const calls = callsPerAnswer(before, await temporalCalls(url, token), total);
        const clientMs = (({ user, system }) => (user + system) / 1000)(process.cpuUsage(clientCpu));
        const cpu = `CPU per answer: API ${(((processCpu(apiProcess.pid as number).seconds - apiCpu) * 1000) / total).toFixed(2)} ms, clients ${(clientMs / total).toFixed(2)} ms`;
        const stolen = `stolen by the hypervisor: ${((100 * (machineAfter.stolen - machineBefore.stolen)) / (machineAfter.total - machineBefore.total)).toFixed(0)}% of the machine's CPU time`;
        lines.push(`  ${kind.name}: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${(concurrency / (result.latency.mean / 1000)).toFixed(0)} req/s; ${calls}; ${cpu}; ${stolen}`);
      }
    }
    lines.push(await driftNoticed(kc, client, namespace));
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    // Both stop as operators stop them, and are waited for.
    const stopped = [apiProcess, worker].map((child) => new Promise((exited) => child.once('exit', exited)));
    apiProcess.kill('SIGTERM');
    worker.kill('SIGTERM');
    await Promise.all(stopped);
    await client.connection.close();
    await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace });
    await ground?.stop();
  }
}

runBench(
  new Command('bench-api')
    .option('--requests <n>', 'requests of each kind (the first of each client\'s connection included)', positiveInteger, 20000)
    .option('--concurrency <list>', 'concurrent clients, one run per comma-separated figure', positiveIntegers, [16, 64])
    // info, as the API runs by default: one log line per request is part of its work.
    .option('--log-level <level>', 'the API\'s LOG_LEVEL', 'info')
    .action(main),
);
