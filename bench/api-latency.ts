/**
 * `npm run bench:api`: latency of POST /api/cluster under load on the local
 * test ground. After one real install, sends the same request again (the
 * idempotent answer: the existing install) and invalid requests (refused by
 * validation), each from C concurrent clients, and prints p50/p99.
 *
 * Usage: npm run bench:api [-- --requests N --concurrency C]
 */
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Command } from 'commander';
import { clusterRegistry } from '../src/api/clusters';
import { buildApi } from '../src/api/server';
import { InstallerApi } from '../src/client/api-client';
import { connectClient } from '../src/client/installs';
import { codecKeysOf, readCoordinates, workerConfigOn } from '../src/testground/coordinates';
import { startTestGround } from '../src/testground/ground';
import { seedRequestOn } from '../src/testground/seed-request';
import { installTkeFixture } from '../src/testground/tke-fixture';
import { createWorker } from '../src/worker';

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

async function main(options: { requests: string; concurrency: string }): Promise<void> {
  const total = Number(options.requests);
  const concurrency = Number(options.concurrency);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const external = process.env.THANOS_TESTGROUND_COORDINATES;
  const ground = external ? undefined : await startTestGround();
  const c = ground?.coordinates ?? readCoordinates(external);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(c.kubernetes.kubeconfig);
  const namespace = `latency-${Date.now().toString(36)}`;
  await installTkeFixture(kc, namespace);
  const taskQueue = `latency-${Date.now().toString(36)}`;
  const worker = await createWorker(workerConfigOn(c, taskQueue));
  const running = worker.run();
  const client = await connectClient({ address: c.temporal.address, namespace: c.temporal.namespace, codecKeys: codecKeysOf(c) });
  const token = randomBytes(24).toString('hex');
  const app = await buildApi({ client, token, webUiUrl: c.temporal.uiUrl, clusters: clusterRegistry(new Map([[namespace, taskQueue]])), namespace, logLevel: 'warn' });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const api = new InstallerApi(url, token);
  try {
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
    const repeated = await load(total, concurrency, async () => (await api.install(request)).httpStatus, 200);
    const refused = await load(total, concurrency, async () => (await api.install(invalid)).httpStatus, 400);
    const line = (name: string, l: number[]) =>
      `${name}: p50 ${percentile(l, 50).toFixed(1)} ms, p99 ${percentile(l, 99).toFixed(1)} ms, ${(l.length / (l.reduce((a, b) => a + b, 0) / 1000 / concurrency)).toFixed(0)} req/s`;
    process.stdout.write(
      [
        `POST /api/cluster, ${total} requests per kind, ${concurrency} concurrent clients:`,
        `  first request (starts the install): ${startLatency.toFixed(1)} ms`,
        `  ${line('same request again (answers the existing install)', repeated)}`,
        `  ${line('invalid request (refused, every field error listed)', refused)}`,
      ].join('\n') + '\n',
    );
  } finally {
    await app.close();
    worker.shutdown();
    await running;
    await client.connection.close();
    await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace });
    await ground?.stop();
  }
}

new Command('bench-api')
  .option('--requests <n>', 'requests of each kind', '500')
  .option('--concurrency <n>', 'concurrent clients', '16')
  .action(main)
  .parseAsync()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
