/**
 * Cancelling an install while one of its activities is in the middle of a
 * change: the rollback starts only once that activity has stopped, so the
 * two never change the cluster at once and nothing is left behind. To catch
 * an activity mid-call, a relay holds one request to the real API server or
 * MinIO until the test lets it through.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { BACKUP_SECRET_NAME } from '../../src/activities/tke-config';
import { startInstall } from '../../src/client/installs';
import { MANAGED_BY } from '../../src/render/labels';
import { S3Client } from '../../src/s3/client';
import { workerConfigOn } from '../../src/testground/coordinates';
import { TKE_CONSUMERS, TKE_FIXTURE_CONFIG } from '../../src/testground/tke-fixture';
import { installThanos } from '../../src/workflows';
import { progressQuery } from '../../src/workflows/contracts';
import { createWorker } from '../../src/worker';
import { activityRuns, type ActivityRun } from '../support/history';
import { startHoldingRelay, type HoldingRelay } from '../support/holding-relay';
import { installInputFor, nodePorts, ownedNamespaces, type RunningWorker, seedRequest, startWorkerAndClient } from '../support/install';
import { testGround } from '../support/testground';

jest.setTimeout(180_000);

const { coordinates, kc } = testGround();
const core = kc.makeApiClient(k8s.CoreV1Api);
const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
/** Long enough for a cancellation to reach a running activity (it heartbeats every second) and for a wrong workflow to have moved on. */
const SETTLE_MS = 5_000;
let env: RunningWorker;
const relays: HoldingRelay[] = [];
const workers: (() => Promise<void>)[] = [];
const namespaces = ownedNamespaces(kc);

beforeAll(async () => {
  env = await startWorkerAndClient(coordinates, 'cancellation');
});
afterAll(async () => {
  // Relays first: a worker stops only once its activities' requests have answered.
  for (const relay of relays) await relay.close();
  for (const stop of workers) await stop();
  await env?.stop();
  await namespaces.deleteAll();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A worker of its own whose every Kubernetes request goes through `relay` (a kubeconfig without credentials: the relay adds them). */
async function workerThrough(relay: HoldingRelay): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-kubeconfig-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'relay', cluster: { server: `http://${relay.address}`, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'relay', user: {} }],
    contexts: [{ name: 'relay', context: { cluster: 'relay', user: 'relay' } }],
    'current-context': 'relay',
  }));
  const taskQueue = `cancellation-relay-${Date.now().toString(36)}`;
  const worker = await createWorker({ ...workerConfigOn(coordinates, taskQueue), kubeconfig });
  const running = worker.run();
  workers.push(async () => {
    worker.shutdown();
    await running;
    await worker.connection?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return taskQueue;
}

/** The runs of one activity type, in the order the workflow scheduled them. */
const runsOf = (runs: ActivityRun[], name: string) => runs.filter((r) => r.name === name);

/**
 * What the workflow did after the cancellation: the rollback (its first
 * activity restores TKE's configuration) began only after `activity` ended,
 * and that run was asked to cancel.
 */
async function expectRollbackAfter(handle: WorkflowHandle<typeof installThanos>, activity: string): Promise<ActivityRun> {
  const runs = activityRuns(await handle.fetchHistory());
  const stopped = runsOf(runs, activity).at(-1) as ActivityRun;
  const rollback = runsOf(runs, 'restoreConsumers')[0] as ActivityRun;
  expect(stopped.cancelRequested).toBeDefined();
  expect(stopped.ended).toBeDefined();
  expect(rollback).toBeDefined();
  expect(stopped.ended?.eventId).toBeLessThan(rollback.scheduled);
  return stopped;
}

/** Objects of Thanos in the namespace other than volume claims (which a rollback keeps unless asked), and the backup. */
async function thanosObjectsIn(namespace: string): Promise<string[]> {
  const kinds = [
    ['apps/v1', 'StatefulSet'], ['apps/v1', 'Deployment'], ['policy/v1', 'PodDisruptionBudget'],
    ['v1', 'Service'], ['v1', 'ConfigMap'], ['v1', 'Secret'],
  ];
  const found: string[] = [];
  for (const [apiVersion, kind] of kinds) {
    const list = await objects.list(apiVersion as string, kind as string, namespace, undefined, undefined, undefined, undefined, `app.kubernetes.io/managed-by=${MANAGED_BY}`);
    found.push(...list.items.map((o) => `${kind}/${o.metadata?.name}`));
  }
  const secrets = await core.listNamespacedSecret({ namespace });
  found.push(...secrets.items.filter((s) => s.metadata?.name === BACKUP_SECRET_NAME).map((s) => `Secret/${s.metadata?.name}`));
  return found;
}

async function expectTkeAsBefore(namespace: string): Promise<void> {
  for (const name of TKE_CONSUMERS) {
    expect((await core.readNamespacedConfigMap({ name, namespace })).data).toEqual(TKE_FIXTURE_CONFIG[name]);
  }
}

test('cancelled while Receive is being applied: the rollback waits for the apply to stop, and leaves nothing behind', async () => {
  const namespace = await namespaces.create('cancel-deploy');
  const server = kc.getCurrentCluster()?.server as string;
  const tls: RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  // Receive's StatefulSet is written while the rest of its group goes through.
  const relay = await startHoldingRelay({
    target: server,
    tls,
    hold: (method, path) => method === 'PATCH' && path.startsWith(`/apis/apps/v1/namespaces/${namespace}/statefulsets/`),
  });
  relays.push(relay);
  const taskQueue = await workerThrough(relay);
  const request = seedRequest(coordinates, (r) => {
    r.config.monitor.thanos.nodePorts = nodePorts(32431);
  });
  const started = await startInstall(env.client, installInputFor(request, `cancel-deploy-${Date.now().toString(36)}`, namespace), taskQueue);
  const handle = env.client.workflow.getHandle<typeof installThanos>(started.workflowId);

  expect(await relay.firstHeld).toMatch(/^PATCH .*\/statefulsets\/thanos-receive/);
  expect((await handle.query(progressQuery)).steps.find((s) => s.id === 'deploy-receive')?.state).toBe('running');
  await handle.cancel();
  await pause(SETTLE_MS);
  // The write is still on its way to the API server: nothing of the rollback may run yet.
  const whileHeld = activityRuns(await handle.fetchHistory());
  const apply = runsOf(whileHeld, 'applyThanosObjects').at(-1);
  expect(apply?.cancelRequested).toBeDefined();
  expect(apply?.ended).toBeUndefined();
  expect(runsOf(whileHeld, 'restoreConsumers')).toEqual([]);
  expect((await handle.query(progressQuery)).phase).toBe('Running');

  relay.release();
  await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  await expectRollbackAfter(handle, 'applyThanosObjects');
  const progress = await handle.query(progressQuery);
  expect(progress.phase).toBe('RolledBack');
  // Nothing after Receive was applied: the cancellation stopped the install there.
  expect(runsOf(activityRuns(await handle.fetchHistory()), 'applyThanosObjects')).toHaveLength(2);
  expect(progress.steps.filter((s) => s.state === 'failed').map((s) => [s.id, s.lastError])).toEqual([
    [expect.stringMatching(/^deploy-/), 'cancelled'],
  ]);
  expect(progress.steps.filter((s) => s.state === 'running')).toEqual([]);
  // The StatefulSet the held write created went with the rollback.
  expect(await thanosObjectsIn(namespace)).toEqual([]);
  await expectTkeAsBefore(namespace);
});

test('cancelled while the bucket check reads its probe back: the probe object is deleted before the rollback starts', async () => {
  const namespace = await namespaces.create('cancel-bucket');
  const relay = await startHoldingRelay({
    target: `http://${coordinates.s3.endpoint}`,
    hold: (method, path) => method === 'GET' && path.includes('/thanos-installer-probe-'),
  });
  relays.push(relay);
  const minio = new S3Client({
    endpoint: coordinates.s3.endpoint,
    bucket: coordinates.s3.bucket,
    insecure: true,
    bucketLookupType: 'path',
    credentials: { accessKey: coordinates.s3.accessKey, secretKey: coordinates.s3.secretKey },
  });
  const request = seedRequest(coordinates, (r) => {
    r.config.monitor.thanos.nodePorts = nodePorts(32441);
    r.config.monitor.thanos.bucketConfig.config.endpoint = relay.address;
  });
  const started = await startInstall(env.client, installInputFor(request, `cancel-bucket-${Date.now().toString(36)}`, namespace), env.taskQueue);
  const handle = env.client.workflow.getHandle<typeof installThanos>(started.workflowId);

  const held = await relay.firstHeld;
  const key = held.replace(/^GET \/[^/]+\//, '');
  expect(key).toMatch(/^thanos-installer-probe-[0-9a-f]+$/);
  // Written, and now being read back.
  expect(await minio.listObjects(key)).toEqual([key]);
  await handle.cancel();
  await pause(SETTLE_MS);
  const whileHeld = activityRuns(await handle.fetchHistory());
  expect(runsOf(whileHeld, 'checkBucket')[0]?.cancelRequested).toBeDefined();
  expect(runsOf(whileHeld, 'checkBucket')[0]?.ended).toBeUndefined();
  expect(runsOf(whileHeld, 'restoreConsumers')).toEqual([]);

  relay.release();
  await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
  const check = await expectRollbackAfter(handle, 'checkBucket');
  // The check heard the cancellation and stopped, deleting its probe on the way out.
  expect(check.ended?.how).toBe('canceled');
  expect(await minio.listObjects(key)).toEqual([]);
  expect((await handle.query(progressQuery)).phase).toBe('RolledBack');
  expect(await thanosObjectsIn(namespace)).toEqual([]);
  await expectTkeAsBefore(namespace);
});
