/**
 * Day 2 on kwok's nodes: a different request for an installed cluster
 * reconfigures it (components one at a time, objects no longer produced
 * removed), the same request repairs drift and reports it (and, while the
 * cluster's drift watch sees none, answers without a plan), a change that
 * cannot be made in place is refused before anything moves, and rolling back
 * a failed reconfiguration returns to the settings that last succeeded.
 */
import * as k8s from '@kubernetes/client-node';
import { watchSaysInSync } from '../../src/client/drift-watch';
import { connectClient, startInstall, startReconfigure, startUninstall } from '../../src/client/installs';
import { codecKeysOf } from '../../src/testground/coordinates';
import type { ProgressDto } from '../../src/client/api-client';
import { validateInstallRequest } from '../../src/request/validate';
import { INSTALLED_SELECTOR } from '../../src/activities/remove';
import { DEFAULT_THANOS_IMAGE, type ThanosSettings } from '../../src/request/defaults';
import { installThanos, reconfigureThanos } from '../../src/workflows';
import { DRIFT_MEMO, driftWatchWorkflowIdFor, progressQuery, rollbackUpdate, type DriftState } from '../../src/workflows/contracts';
import { startApi, type RunningApi } from '../support/api';
import { eventually } from '../support/eventually';
import { installInputFor, nodePorts, objectVersions, ownedNamespaces, seedRequest, startWorkerAndClient, type RunningWorker, type SeedRequest } from '../support/install';
import { testGround } from '../support/testground';

jest.setTimeout(240_000);

const { coordinates, kc } = testGround();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const namespaces = ownedNamespaces(kc);
const cluster = `day2-${Date.now().toString(36)}`;
let env: RunningWorker;
let server: RunningApi;
let namespace: string;

function requestFor(edit: (r: SeedRequest) => void = () => {}): SeedRequest {
  return seedRequest(coordinates, (r) => {
    r.cluster.metadata = { name: cluster };
    r.config.monitor.thanos.nodePorts = nodePorts(32521);
    edit(r);
  });
}

function settingsOf(request: SeedRequest): ThanosSettings {
  const validated = validateInstallRequest(request);
  if (!validated.ok) throw new Error(JSON.stringify(validated.errors));
  return { ...validated.settings, namespace };
}

/** The cluster's progress once its run has ended (or waits for the operator). */
async function settled(): Promise<ProgressDto> {
  return eventually('the run settled', async () => {
    const answer = await server.api.progress(cluster);
    return answer.body.phase === 'Running' || answer.body.phase === 'RollingBack' || answer.httpStatus !== 200 ? undefined : answer.body;
  }, 180_000);
}

const stepResult = (progress: ProgressDto, id: string): string | undefined => progress.steps?.find((s) => s.id === id)?.result;

beforeAll(async () => {
  env = await startWorkerAndClient(coordinates, 'day2');
  namespace = await namespaces.create('day2');
  server = await startApi(coordinates, env, namespace);
  expect((await server.api.install(requestFor())).httpStatus).toBe(202);
  expect((await settled()).phase).toBe('Succeeded');
});
afterAll(async () => {
  await server?.app.close();
  await env?.stop();
  await namespaces.deleteAll();
});

/** The cluster's drift watch: its status, what its memo says, and whether the API takes that as "in sync". */
async function driftWatch(): Promise<{ status: string; inSync?: boolean | null; trusted: boolean }> {
  const watch = await env.client.workflow.getHandle(driftWatchWorkflowIdFor(cluster)).describe();
  const state = watch.memo?.[DRIFT_MEMO] as DriftState | undefined;
  return { status: watch.status.name, inSync: state?.inSync, trusted: watchSaysInSync(watch, state?.settingsFingerprint ?? '') };
}

test('the same request with nothing drifted answers Finished and changes nothing; once the drift watch follows the cluster, without a plan', async () => {
  const before = await objectVersions(kc, namespace);
  const answer = await server.api.install(requestFor());
  expect(answer).toMatchObject({ httpStatus: 200, body: { status: 'Finished' } });
  expect(await objectVersions(kc, namespace)).toEqual(before);

  // That answer planned and started the cluster's drift watch, which plans again and follows the objects.
  await eventually('the drift watch says in sync, its activity running', async () => ((await driftWatch()).trusted ? true : undefined), 30_000);
  // An API of its own, counting its calls to Temporal: the answer starts no workflow (no plan).
  const calls: string[] = [];
  const counting = await connectClient({ address: coordinates.temporal.address, namespace: coordinates.temporal.namespace, codecKeys: codecKeysOf(coordinates), onCall: (method) => calls.push(method) });
  const counted = await startApi(coordinates, { client: counting, taskQueue: env.taskQueue }, namespace);
  try {
    expect(await counted.api.install(requestFor())).toMatchObject({ httpStatus: 200, body: { status: 'Finished' } });
    expect(calls).not.toContain('StartWorkflowExecution');
    expect(calls).toContain('DescribeWorkflowExecution');
  } finally {
    await counted.app.close();
    await counting.connection.close();
  }
  expect(await objectVersions(kc, namespace)).toEqual(before);
});

test('the same request after someone edited and deleted installer objects repairs them and reports exactly what it changed', async () => {
  await apps.patchNamespacedDeployment(
    { name: 'thanos-query', namespace, body: { spec: { replicas: 3 } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  await core.deleteNamespacedService({ name: 'thanos-store', namespace });
  // The watch stops saying "in sync" as soon as it sees the edit; from then on the API plans.
  await eventually('the drift watch noticed', async () => ((await driftWatch()).trusted ? undefined : true), 10_000);
  const answer = await server.api.install(requestFor());
  expect(answer).toMatchObject({ httpStatus: 202, body: { status: 'Doing', reconfigure: 'repair' } });
  const progress = await settled();
  expect(progress.phase).toBe('Succeeded');
  expect(stepResult(progress, 'check-changes')).toBe('change Deployment/thanos-query (spec.replicas); create Service/thanos-store');
  expect((await apps.readNamespacedDeployment({ name: 'thanos-query', namespace })).spec?.replicas).toBe(1);
  await core.readNamespacedService({ name: 'thanos-store', namespace });
  // Repaired: the same request again finds nothing to do.
  expect((await server.api.install(requestFor())).body.status).toBe('Finished');
});

test('a volume the StorageClass cannot grow is refused by plan, by the API and by the reconfiguration, and nothing moves', async () => {
  const bigger = requestFor((r) => {
    r.config.monitor.thanos.storage = { size: { receive: '80Gi' } };
  });
  const before = await objectVersions(kc, namespace);
  const { runId } = await env.client.workflow.getHandle(`thanos-installer-${cluster}`).describe();

  const planned = await server.api.plan(bigger);
  const refusal = planned.body.objects.find((o) => o.action === 'cannot-change-in-place');
  expect(refusal).toMatchObject({ object: 'StatefulSet/thanos-receive', field: 'config.monitor.thanos.storage.size.receive' });
  expect(refusal?.reason).toMatch(/cannot grow from 50Gi to 80Gi: StorageClass \S+ does not allow volume expansion; keep 50Gi/);

  const answer = await server.api.install(bigger);
  expect(answer.httpStatus).toBe(422);
  expect(answer.body.errors?.map((e) => e.path)).toEqual(['config.monitor.thanos.storage.size.receive']);
  expect((await env.client.workflow.getHandle(`thanos-installer-${cluster}`).describe()).runId).toBe(runId);

  // A reconfiguration started without the API refuses at its first step.
  const installed = (await env.client.workflow.getHandle<typeof reconfigureThanos>(`thanos-installer-${cluster}`).result()).settings;
  await startReconfigure(env.client, { clusterName: cluster, from: installed!, settings: settingsOf(bigger), readinessTimeoutSeconds: 30, rolloutTimeoutSeconds: 30 }, env.taskQueue);
  const waiting = await settled();
  expect(waiting.phase).toBe('WaitingForOperator');
  const failedStep = waiting.steps?.find((s) => s.state === 'failed');
  expect(failedStep).toMatchObject({ id: 'check-changes', attempts: 1 });
  expect(failedStep?.lastError).toMatch(/^nothing was changed: config\.monitor\.thanos\.storage\.size\.receive: StatefulSet\/thanos-receive: the claims/);
  expect(await objectVersions(kc, namespace)).toEqual(before);
  // Rolling back a reconfiguration that changed nothing returns to where it was, still moving nothing.
  expect((await server.api.rollback(cluster)).httpStatus).toBe(200);
  expect((await settled()).phase).toBe('RolledBack');
  expect(await objectVersions(kc, namespace)).toEqual(before);
});

test('a different request reconfigures: NodePorts turned off and objects no longer produced go, every claim stays, the bucket readers roll', async () => {
  const leftover = 'thanos-leftover-of-an-older-release';
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: leftover, labels: { [INSTALLED_SELECTOR.split('=')[0] as string]: INSTALLED_SELECTOR.split('=')[1] as string } }, data: {} },
  });
  const claimsBefore = (await core.listNamespacedPersistentVolumeClaim({ namespace })).items.map((c) => c.metadata?.name).sort();
  const storeTemplate = async () => (await apps.readNamespacedStatefulSet({ name: 'thanos-store', namespace })).spec?.template.metadata?.annotations;
  const storeBefore = await storeTemplate();
  const changed = requestFor((r) => {
    r.config.monitor.thanos.exposeReceiveGrpcHttpNodePorts = false;
    Object.assign(r.config.monitor.thanos.bucketConfig, { prefix: 'day2' });
  });
  const planned = await server.api.plan(changed);
  expect(planned.body.objects.find((o) => o.object === `ConfigMap/${leftover}`)?.action).toBe('remove');

  const answer = await server.api.install(changed);
  expect(answer).toMatchObject({ httpStatus: 202, body: { reconfigure: 'change' } });
  // The watch of the old settings ends with the change.
  expect((await driftWatch()).status).toBe('TERMINATED');
  const progress = await settled();
  expect(progress.phase).toBe('Succeeded');
  expect(stepResult(progress, 'remove-unproduced')).toBe(`removed ConfigMap/${leftover}`);
  const rollOut = stepResult(progress, 'roll-out-thanos') ?? '';
  // One component at a time, in order: the bucket readers, Receive, then Query.
  const rolled = [...rollOut.matchAll(/(?:^|; )(store|compact|rule|receive|query): /g)].map((m) => m[1]);
  expect(rolled.filter((component, i) => component !== rolled[i - 1])).toEqual(['store', 'compact', 'rule', 'receive', 'query']);
  // Receive's single replica reads the bucket too: it restarts, in place, as nothing else can take its writes.
  expect(rollOut).toContain('receive: restart replica 0 in place (a replication factor of 1 needs all 1 member(s)');
  const service = await core.readNamespacedService({ name: 'thanos-receive-nodeport', namespace });
  expect(service.spec?.ports?.map((p) => p.nodePort)).toEqual([32523]);
  expect((await core.listNamespacedPersistentVolumeClaim({ namespace })).items.map((c) => c.metadata?.name).sort()).toEqual(claimsBefore);
  const storeAfter = await storeTemplate();
  expect(Object.keys(storeAfter ?? {}).filter((k) => k.endsWith('-sha256'))).not.toEqual([]);
  expect(storeAfter).not.toEqual(storeBefore);
});

test('rolling back a failed reconfiguration returns Thanos to the settings that last succeeded, not to no Thanos', async () => {
  const good = (await env.client.workflow.getHandle<typeof reconfigureThanos>(`thanos-installer-${cluster}`).result()).settings!;
  const broken = { ...good, image: `${DEFAULT_THANOS_IMAGE}-unready` };
  await startReconfigure(env.client, { clusterName: cluster, from: good, settings: broken, readinessTimeoutSeconds: 15, rolloutTimeoutSeconds: 30 }, env.taskQueue);
  const waiting = await settled();
  expect(waiting.phase).toBe('WaitingForOperator');
  expect(waiting.steps?.find((s) => s.state === 'failed')).toMatchObject({ id: 'roll-out-thanos' });
  // Store went first and never became ready; nothing after it moved.
  const image = async (kind: 'StatefulSet' | 'Deployment', name: string) =>
    (kind === 'StatefulSet' ? await apps.readNamespacedStatefulSet({ name, namespace }) : await apps.readNamespacedDeployment({ name, namespace })).spec?.template.spec?.containers[0]?.image;
  expect(await image('StatefulSet', 'thanos-store')).toBe(broken.image);
  expect(await image('Deployment', 'thanos-query')).toBe(good.image);

  expect((await server.api.rollback(cluster)).httpStatus).toBe(200);
  const rolledBack = await settled();
  expect(rolledBack).toMatchObject({ phase: 'RolledBack', status: 'Failed' });
  expect(rolledBack.rollbackSteps?.every((s) => s.state === 'succeeded' || s.state === 'skipped')).toBe(true);
  for (const [kind, name] of [['StatefulSet', 'thanos-store'], ['StatefulSet', 'thanos-receive'], ['Deployment', 'thanos-query']] as const) {
    expect(await image(kind, name)).toBe(good.image);
  }
  const labelled = await core.listNamespacedConfigMap({ namespace, labelSelector: INSTALLED_SELECTOR });
  expect(labelled.items.length).toBeGreaterThan(0);
  // The cluster still runs Thanos: a data-path check may run, and the good request finds nothing to change.
  expect((await server.api.verify(cluster)).httpStatus).toBe(202);
});

test('a larger volume on a StorageClass that allows expansion grows the claims in place around running pods; a rollback never shrinks them', async () => {
  const storageClass = `expandable-${Date.now().toString(36)}`;
  const storage = kc.makeApiClient(k8s.StorageV1Api);
  await storage.createStorageClass({
    body: { metadata: { name: storageClass }, provisioner: 'testground.kwok/volume', allowVolumeExpansion: true, volumeBindingMode: 'WaitForFirstConsumer' },
  });
  const other = await namespaces.create('day2-grow');
  const growCluster = `${cluster}-grow`;
  const request = (size: string) => seedRequest(coordinates, (r) => {
    r.config.monitor.thanos.nodePorts = nodePorts(32531);
    r.config.monitor.thanos.storage = { storageClass, size: { store: size } };
  });
  try {
    const small = installInputFor(request('20Gi'), growCluster, other, { readinessTimeoutSeconds: 60 });
    await startInstall(env.client, small, env.taskQueue);
    expect((await env.client.workflow.getHandle<typeof installThanos>(`thanos-installer-${growCluster}`).result()).phase).toBe('Succeeded');
    const podsBefore = (await core.listNamespacedPod({ namespace: other, labelSelector: 'app.kubernetes.io/name=thanos-store' })).items.map((p) => p.metadata?.uid);
    const setBefore = (await apps.readNamespacedStatefulSet({ name: 'thanos-store', namespace: other })).metadata?.uid;

    const large = installInputFor(request('30Gi'), growCluster, other, { readinessTimeoutSeconds: 60 });
    await startReconfigure(env.client, { ...large, from: small.settings }, env.taskQueue);
    const result = await env.client.workflow.getHandle<typeof reconfigureThanos>(`thanos-installer-${growCluster}`).result();
    expect(result.phase).toBe('Succeeded');
    expect(result.progress.steps.find((s) => s.id === 'grow-volumes')?.result).toBe(
      'PersistentVolumeClaim/data-thanos-store-0: 20Gi -> 30Gi; StatefulSet/thanos-store: deleted with its pods orphaned, to be re-created with claims of 30Gi',
    );
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: 'data-thanos-store-0', namespace: other });
    expect(claim.spec?.resources?.requests?.storage).toBe('30Gi');
    const set = await apps.readNamespacedStatefulSet({ name: 'thanos-store', namespace: other });
    expect(set.metadata?.uid).not.toBe(setBefore);
    expect(set.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage).toBe('30Gi');
    // The pods were never stopped: the new StatefulSet adopted them.
    expect((await core.listNamespacedPod({ namespace: other, labelSelector: 'app.kubernetes.io/name=thanos-store' })).items.map((p) => p.metadata?.uid)).toEqual(podsBefore);

    // Grown again along with a release that never becomes ready: rolled back to the old release, the claims stay grown.
    const broken = installInputFor(request('40Gi'), growCluster, other, { readinessTimeoutSeconds: 15 });
    const failing = await startReconfigure(env.client, { ...broken, settings: { ...broken.settings, image: `${DEFAULT_THANOS_IMAGE}-unready` }, from: large.settings }, env.taskQueue);
    const failingHandle = env.client.workflow.getHandle<typeof reconfigureThanos>(failing.workflowId, failing.runId);
    await eventually('the release that never becomes ready waits for the operator', async () =>
      ((await failingHandle.query(progressQuery)).phase === 'WaitingForOperator' ? true : undefined), 90_000);
    await failingHandle.executeUpdate(rollbackUpdate, { args: [{}] });
    const reverted = await failingHandle.result();
    expect(reverted.phase).toBe('RolledBack');
    expect(reverted.settings).toMatchObject({ image: large.settings.image, storage: { size: { store: '40Gi' } } });
    expect((await core.readNamespacedPersistentVolumeClaim({ name: 'data-thanos-store-0', namespace: other })).spec?.resources?.requests?.storage).toBe('40Gi');
    expect((await apps.readNamespacedStatefulSet({ name: 'thanos-store', namespace: other })).spec?.template.spec?.containers[0]?.image).toBe(large.settings.image);
    await startUninstall(env.client, { clusterName: growCluster, namespace: other }, env.taskQueue);
    await env.client.workflow.getHandle(`thanos-installer-${growCluster}`).result();
  } finally {
    await storage.deleteStorageClass({ name: storageClass });
  }
});
