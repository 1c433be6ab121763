/**
 * One installer, two global clusters: the test ground of the global setup is
 * cluster "east", a second test ground (its own control plane, nodes and
 * MinIO) is cluster "west". Each has its own worker holding its own
 * kubeconfig, both on the one Temporal server, and the API routes each
 * cluster's work to its worker through the cluster registry.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { clusterRegistry } from '../../src/api/clusters';
import { buildApi } from '../../src/api/server';
import { InstallerApi, type ProgressDto } from '../../src/client/api-client';
import { installInputOf, startInstall } from '../../src/client/installs';
import { validateInstallRequest } from '../../src/request/validate';
import { workerConfigOn, type TestGroundCoordinates } from '../../src/testground/coordinates';
import { installTkeFixture } from '../../src/testground/tke-fixture';
import { progressQuery, workflowIdFor } from '../../src/workflows/contracts';
import { createWorker } from '../../src/worker';
import { eventually } from '../support/eventually';
import { connectTestClient, nodePorts, objectVersions, seedRequest } from '../support/install';
import { startSecondGround, testGround } from '../support/testground';

jest.setTimeout(240_000);

const { coordinates: eastGround, kc: eastKc } = testGround();
const stamp = Date.now().toString(36);
const east = `east-${stamp}`;
const west = `west-${stamp}`;
const namespace = `clusters-${stamp}`;
const queues = { [east]: `east-${stamp}`, [west]: `west-${stamp}` };

let second: { supervisor: ChildProcess; coordinates: TestGroundCoordinates };
let westKc: k8s.KubeConfig;
let client: Client;
let app: FastifyInstance;
let api: InstallerApi;
const workers: { worker: Worker; running: Promise<void> }[] = [];

/** A worker for one cluster: that cluster's kubeconfig, the shared Temporal, the cluster's own task queue. */
async function clusterWorker(cluster: string, ground: TestGroundCoordinates): Promise<void> {
  const worker = await createWorker({
    ...workerConfigOn(eastGround, queues[cluster] as string),
    kubeconfig: ground.kubernetes.kubeconfig,
    cluster,
  });
  workers.push({ worker, running: worker.run() });
}

/** The seed's request for `cluster`, with its bucket on that cluster's own MinIO. */
function requestFor(cluster: string, ground: TestGroundCoordinates) {
  return seedRequest(ground, (r) => {
    r.cluster.metadata = { name: cluster };
    r.config.monitor.thanos.nodePorts = nodePorts(32501);
  });
}

async function until(cluster: string, done: (p: ProgressDto) => boolean): Promise<ProgressDto> {
  return eventually(`cluster ${cluster} reached the expected state`, async () => {
    const answer = await api.progress(cluster);
    return answer.httpStatus === 200 && done(answer.body) ? answer.body : undefined;
  }, 180_000);
}

const objectsOf = (kc: k8s.KubeConfig) => objectVersions(kc, namespace);

async function thanosStatefulSets(kc: k8s.KubeConfig): Promise<string[]> {
  const list = await kc.makeApiClient(k8s.AppsV1Api).listNamespacedStatefulSet({ namespace });
  return list.items.map((s) => s.metadata?.name ?? '').sort();
}

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed by an earlier test file
  }
  second = await startSecondGround();
  westKc = new k8s.KubeConfig();
  westKc.loadFromFile(second.coordinates.kubernetes.kubeconfig);
  await Promise.all([installTkeFixture(eastKc, namespace), installTkeFixture(westKc, namespace)]);
  await clusterWorker(east, eastGround);
  await clusterWorker(west, second.coordinates);
  client = await connectTestClient(eastGround);
  const token = randomBytes(24).toString('hex');
  app = await buildApi({
    client,
    token,
    webUiUrl: eastGround.temporal.uiUrl,
    clusters: clusterRegistry(new Map(Object.entries(queues))),
    namespace,
    logLevel: 'silent',
  });
  api = new InstallerApi(await app.listen({ host: '127.0.0.1', port: 0 }), token);
});

afterAll(async () => {
  await app?.close();
  for (const { worker } of workers) worker.shutdown();
  await Promise.all(workers.map((w) => w.running));
  await Promise.all(workers.map((w) => w.worker.connection?.close()));
  await client?.connection.close();
  // The shared test ground keeps neither east's install nor the NodePorts it claimed.
  await eastKc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace });
  if (second) {
    const exited = new Promise((r) => second.supervisor.once('exit', r));
    second.supervisor.kill('SIGINT');
    await exited;
  }
});

test('a request for a cluster the installer does not serve is refused, naming the field and the clusters served, before anything starts', async () => {
  const answer = await api.install(requestFor('north', eastGround));
  expect(answer.httpStatus).toBe(400);
  expect(answer.body.errors).toEqual([{
    path: 'cluster.metadata.name',
    message: expect.stringMatching(new RegExp(`serves no cluster named 'north' \\(it serves ${east}, ${west}\\): add it to THANOS_INSTALLER_CLUSTERS`)),
  }]);
  await expect(client.workflow.getHandle(workflowIdFor('north')).describe()).rejects.toThrow(/not found/i);
  for (const answer of [await api.uninstall('north'), await api.retry('north'), await api.verify('north')]) {
    expect(answer).toMatchObject({ httpStatus: 404, body: { message: expect.stringMatching(/serves no cluster named 'north'/) } });
  }
});

test('installs of two clusters run at once, each on its own worker, and each lands on its own cluster', async () => {
  const [eastAnswer, westAnswer] = await Promise.all([api.install(requestFor(east, eastGround)), api.install(requestFor(west, second.coordinates))]);
  expect([eastAnswer.httpStatus, westAnswer.httpStatus]).toEqual([202, 202]);
  // Both ran at the same time: the later start came before the earlier finish.
  const [eastDone, westDone] = await Promise.all([until(east, (p) => p.status !== 'Doing'), until(west, (p) => p.status !== 'Doing')]);
  expect([eastDone.status, westDone.status]).toEqual(['Success', 'Success']);
  const eastRun = await client.workflow.getHandle(workflowIdFor(east)).describe();
  const westRun = await client.workflow.getHandle(workflowIdFor(west)).describe();
  expect([eastRun.taskQueue, westRun.taskQueue]).toEqual([queues[east], queues[west]]);
  expect(Math.max(eastRun.startTime.getTime(), westRun.startTime.getTime())).toBeLessThan(
    Math.min(eastRun.closeTime?.getTime() ?? 0, westRun.closeTime?.getTime() ?? 0),
  );
  const expected = ['thanos-compact', 'thanos-receive', 'thanos-rule', 'thanos-store'];
  expect(await thanosStatefulSets(eastKc)).toEqual(expected);
  expect(await thanosStatefulSets(westKc)).toEqual(expected);
});

test('uninstalling one cluster removes its Thanos and leaves the other cluster\'s objects untouched', async () => {
  const eastBefore = await objectsOf(eastKc);
  expect((await api.uninstall(west)).httpStatus).toBe(202);
  const done = await until(west, (p) => p.status !== 'Doing');
  expect(done.phase).toBe('Uninstalled');
  expect(await thanosStatefulSets(westKc)).toEqual([]);
  expect(await objectsOf(eastKc)).toEqual(eastBefore);
});

test('a workflow for one cluster sent to another cluster\'s worker is refused by that worker before it touches anything', async () => {
  const eastBefore = await objectsOf(eastKc);
  const westBefore = await objectsOf(westKc);
  const validated = validateInstallRequest(requestFor(east, eastGround));
  if (!validated.ok) throw new Error('invalid test request');
  // As if the registry named the wrong queue: east's install on west's worker.
  const started = await startInstall(client, installInputOf(east, { ...validated.settings, namespace }), queues[west]);
  const handle = client.workflow.getHandle(started.workflowId, started.runId);
  const progress = await eventually('the install waited for the operator', async () => {
    const p = await handle.query(progressQuery);
    return p.phase === 'WaitingForOperator' ? p : undefined;
  }, 60_000);
  expect(progress.steps[0]).toMatchObject({ id: 'check-bucket', state: 'failed', attempts: 1 });
  expect(progress.steps[0]?.lastError).toBe(
    `this worker holds the kubeconfig of cluster ${west}, but workflow ${workflowIdFor(east)} is for cluster ${east}: ` +
      'check the task queue of that cluster in THANOS_INSTALLER_CLUSTERS',
  );
  await handle.terminate('test over');
  expect(await objectsOf(eastKc)).toEqual(eastBefore);
  expect(await objectsOf(westKc)).toEqual(westBefore);
});
