/**
 * Rotating the payload key. Installs are started through the API under key
 * A: one waits for the operator after the bucket refused its key, one waits
 * likewise to be rolled back, one has finished. Then the worker and the API
 * restart with key B current and A still configured, and every route works
 * for all three: progress, retry, rollback and a finished install's result.
 */
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { connectClient } from '../../src/client/installs';
import { singleKey, type CodecKey, type CodecKeys } from '../../src/codec/key';
import { workerConfigOn } from '../../src/testground/coordinates';
import { workflowIdFor } from '../../src/workflows/contracts';
import { createWorker } from '../../src/worker';
import type { ProgressDto } from '../../src/client/api-client';
import { startApi, type RunningApi } from '../support/api';
import { payloadsIn } from '../support/codec';
import { seedRequest, tkeNamespace } from '../support/install';
import { testGround } from '../support/testground';

jest.setTimeout(240_000);

const { coordinates, kc } = testGround();
const stamp = Date.now().toString(36);
const taskQueue = `rotation-${stamp}`;
const A: CodecKey = { id: `a-${stamp}`, key: randomBytes(32) };
const B: CodecKey = { id: `b-${stamp}`, key: randomBytes(32) };
const afterRotation: CodecKeys = { current: B, byId: new Map([[A.id, A.key], [B.id, B.key]]) };

/** The worker, a client and the API, all with the same keys, as one deployment of the installer. */
async function deploy(keys: CodecKeys, namespace: string) {
  const worker: Worker = await createWorker({ ...workerConfigOn(coordinates, taskQueue), codecKeys: keys });
  const running = worker.run();
  const client: Client = await connectClient({ address: coordinates.temporal.address, namespace: coordinates.temporal.namespace, codecKeys: keys });
  const server = await startApi(coordinates, { client, taskQueue }, namespace);
  return {
    client,
    server,
    async stop() {
      await server.app.close();
      worker.shutdown();
      await running;
      await worker.connection?.close();
      await client.connection.close();
    },
  };
}

/** Each install in a namespace of its own (the API is given one per deployment, so one deployment per namespace). */
const clusters = { waiting: `rot-wait-${stamp}`, failing: `rot-fail-${stamp}`, finished: `rot-done-${stamp}` };
const portBase = { waiting: 32211, failing: 32221, finished: 32231 };
type Install = keyof typeof clusters;
const request = (which: Install, secretKey = coordinates.s3.secretKey) => seedRequest(coordinates, (r) => {
  r.cluster.metadata = { name: clusters[which] };
  r.config.monitor.thanos.bucketConfig.config.secret_key = secretKey;
  const base = portBase[which];
  r.config.monitor.thanos.nodePorts = { receiveGrpc: base, receiveHttp: base + 1, receiveRemoteWrite: base + 2 };
});

async function follow(server: RunningApi, cluster: string, done: (p: ProgressDto) => boolean): Promise<ProgressDto> {
  for (const deadline = Date.now() + 150_000; ; await new Promise((r) => setTimeout(r, 250))) {
    const answer = await server.api.progress(cluster);
    if (answer.httpStatus === 200 && done(answer.body)) return answer.body;
    if (Date.now() > deadline) throw new Error(`${cluster}: HTTP ${answer.httpStatus} ${answer.body.data ?? answer.body.message}`);
  }
}

const namespaces = {} as Record<Install, string>;
type Deployment = Awaited<ReturnType<typeof deploy>>;
const after = {} as Record<Install, Deployment>;

beforeAll(async () => {
  for (const which of Object.keys(clusters) as Install[]) namespaces[which] = await tkeNamespace(kc, `rot-${which}`);
  const before = {} as Record<Install, Deployment>;
  try {
    for (const which of Object.keys(clusters) as Install[]) before[which] = await deploy(singleKey(A), namespaces[which]);
    expect((await before.waiting.server.api.install(request('waiting', 'not-the-minio-secret-3'))).httpStatus).toBe(202);
    expect((await before.failing.server.api.install(request('failing', 'not-the-minio-secret-4'))).httpStatus).toBe(202);
    expect((await before.finished.server.api.install(request('finished'))).httpStatus).toBe(202);
    await follow(before.waiting.server, clusters.waiting, (p) => p.status === 'Failed');
    await follow(before.failing.server, clusters.failing, (p) => p.status === 'Failed');
    await follow(before.finished.server, clusters.finished, (p) => p.status === 'Success');
  } finally {
    for (const deployment of Object.values(before)) await deployment.stop();
  }
  for (const which of Object.keys(clusters) as Install[]) after[which] = await deploy(afterRotation, namespaces[which]);
});
afterAll(async () => {
  for (const deployment of Object.values(after)) await deployment.stop();
  // Frees the installs' NodePorts for a later run on the same test ground.
  for (const name of Object.values(namespaces)) await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name });
});

test('after the rotation, progress answers for installs started under the old key, waiting or finished', async () => {
  for (const which of Object.keys(clusters) as Install[]) {
    const answer = await after[which].server.api.progress(clusters[which]);
    expect({ which, status: answer.httpStatus }).toEqual({ which, status: 200 });
    expect(answer.body.status).toBe(which === 'finished' ? 'Success' : 'Failed');
  }
  expect((await after.waiting.server.api.progress(clusters.waiting)).body.data).toMatch(/\[!\] Check the object storage bucket: .*rejected the access key or secret key/);
});

test('a retry with corrected credentials finishes the install, and what it wrote is encrypted under the new key', async () => {
  const { server, client } = after.waiting;
  expect((await server.api.retry(clusters.waiting, request('waiting').config.monitor.thanos)).httpStatus).toBe(200);
  const finished = await follow(server, clusters.waiting, (p) => p.status === 'Success' || p.status === 'Failed');
  expect(finished.status).toBe('Success');
  const history = await client.workflow.getHandle(workflowIdFor(clusters.waiting)).fetchHistory();
  const keyIds = payloadsIn(history, (key) => key === 'searchAttributes' || key === 'patch-data')
    .map((p) => Buffer.from(p.metadata?.['encryption-key-id'] ?? []).toString());
  expect(new Set(keyIds)).toEqual(new Set([A.id, B.id]));
  // The start was written under A, the result under B.
  expect(keyIds[0]).toBe(A.id);
  expect(keyIds.at(-1)).toBe(B.id);
});

test('a rollback of an install started under the old key restores TKE and ends the install', async () => {
  const { server } = after.failing;
  expect((await server.api.rollback(clusters.failing)).httpStatus).toBe(200);
  const rolledBack = await follow(server, clusters.failing, (p) => p.phase === 'RolledBack');
  expect(rolledBack.rollbackSteps?.map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
});

test('a finished install answers from its result, a second install of it is recognised as the same', async () => {
  const { server } = after.finished;
  const again = await server.api.install(request('finished'));
  expect(again.httpStatus).toBe(200);
  expect(again.body.status).toBe('Finished');
});
