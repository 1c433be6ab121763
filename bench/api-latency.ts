/**
 * `npm run bench:api`: latency of the API under load on the local test
 * ground, with the API and a worker each in its own process as operators run
 * them. After one real install, sends the same request again (compared with
 * the cluster, then answered with the existing install), asks the install's
 * progress, and sends invalid requests (refused by validation), each from C
 * concurrent clients for every C given, and prints p50/p99 and the Temporal
 * calls each answer made (the API's own count, from its /metrics).
 *
 * Usage: npm run bench:api [-- --requests N --concurrency 16,64]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Command } from 'commander';
import { InstallerApi } from '../src/client/api-client';
import { connectClient } from '../src/client/installs';
import { codecKeysOf, readCoordinates, workerEnvOn } from '../src/testground/coordinates';
import { startTestGround } from '../src/testground/ground';
import { projectRoot } from '../src/testground/paths';
import { seedRequestOn } from '../src/testground/seed-request';
import { installTkeFixture } from '../src/testground/tke-fixture';
import { checkWorker } from '../src/workflows';
import { runBench } from './support';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Sends `total` requests from `concurrency` clients; returns each one's latency in ms. */
async function load(total: number, concurrency: number, send: () => Promise<number>, expected: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) {
        const start = performance.now();
        const status = await send();
        latencies.push(performance.now() - start);
        if (status !== expected) throw new Error(`expected HTTP ${expected}, got ${status}`);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

/** A port free on 127.0.0.1 now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
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

/** `2.00 Temporal calls per answer (DescribeWorkflowExecution 1.00, ...)`: the calls made between two counts. */
function callsPerAnswer(before: Map<string, number>, after: Map<string, number>, answers: number): string {
  const made = [...after].map(([method, n]) => [method, n - (before.get(method) ?? 0)] as const).filter(([, n]) => n > 0);
  const total = made.reduce((sum, [, n]) => sum + n, 0);
  return `${(total / answers).toFixed(2)} Temporal calls per answer${made.length ? ` (${made.map(([m, n]) => `${m} ${(n / answers).toFixed(2)}`).join(', ')})` : ''}`;
}

async function main(options: { requests: string; concurrency: string }): Promise<void> {
  const total = Number(options.requests);
  const concurrencies = options.concurrency.split(',').map(Number);
  const external = process.env.THANOS_TESTGROUND_COORDINATES;
  const ground = external ? undefined : await startTestGround();
  const c = ground?.coordinates ?? readCoordinates(external);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(c.kubernetes.kubeconfig);
  const namespace = `latency-${Date.now().toString(36)}`;
  await installTkeFixture(kc, namespace);
  const taskQueue = `latency-${Date.now().toString(36)}`;
  const token = randomBytes(24).toString('hex');
  const port = await freePort();
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
    LOG_LEVEL: 'warn',
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
    const kinds: { name: string; expected: number; send: () => Promise<number> }[] = [
      { name: 'same request again (compared with the cluster, answers the existing install)', expected: 200, send: async () => (await api.install(request)).httpStatus },
      { name: 'progress of the finished install', expected: 200, send: async () => (await api.progress(namespace)).httpStatus },
      { name: 'invalid request (refused, every field error listed)', expected: 400, send: async () => (await api.install(invalid)).httpStatus },
    ];
    const lines = [`first request (starts the install): ${startLatency.toFixed(1)} ms`];
    for (const concurrency of concurrencies) {
      lines.push(`${concurrency} concurrent clients, ${total} requests per kind:`);
      for (const kind of kinds) {
        const before = await temporalCalls(url, token);
        const l = await load(total, concurrency, kind.send, kind.expected);
        const calls = callsPerAnswer(before, await temporalCalls(url, token), total);
        const rate = l.length / (l.reduce((a, b) => a + b, 0) / 1000 / concurrency);
        lines.push(`  ${kind.name}: p50 ${percentile(l, 50).toFixed(1)} ms, p99 ${percentile(l, 99).toFixed(1)} ms, ${rate.toFixed(0)} req/s; ${calls}`);
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    apiProcess.kill('SIGTERM');
    worker.kill('SIGTERM');
    await client.connection.close();
    await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace });
    await ground?.stop();
  }
}

runBench(
  new Command('bench-api')
    .option('--requests <n>', 'requests of each kind', '500')
    .option('--concurrency <list>', 'concurrent clients, one run per comma-separated figure', '16,64')
    .action(main),
);
