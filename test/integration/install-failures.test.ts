/**
 * Installs that go wrong: a rejected bucket waits for the operator and
 * finishes after `retry` with corrected credentials; a release whose pods
 * never become ready is named and rolled back, restoring TKE's configuration
 * byte for byte.
 */
import * as k8s from '@kubernetes/client-node';
import { WorkflowFailedError, WorkflowUpdateFailedError, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { startInstall } from '../../src/client/installs';
import { TKE_CONSUMERS, TKE_FIXTURE_CONFIG } from '../../src/testground/tke-fixture';
import { installThanos } from '../../src/workflows';
import { progressQuery, retryUpdate, rollbackUpdate } from '../../src/workflows/contracts';
import type { Progress } from '../../src/workflows/progress';
import { installInputFor, nodePorts, type RunningWorker, seedRequest, startWorkerAndClient, tkeNamespace } from '../support/install';
import { testGround } from '../support/testground';

jest.setTimeout(180_000);

const { coordinates, kc } = testGround();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
let env: RunningWorker;

beforeAll(async () => {
  env = await startWorkerAndClient(coordinates, 'failures');
});
afterAll(async () => env?.stop());

async function waitForPhase(handle: WorkflowHandle<typeof installThanos>, phase: Progress['phase']): Promise<Progress> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const progress = await handle.query(progressQuery);
    if (progress.phase === phase) return progress;
    if (Date.now() > deadline) throw new Error(`still ${progress.phase} (${progress.message}), never ${phase}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('wrong bucket credentials', () => {
  const WRONG_SECRET = 'not-the-minio-secret-0';
  let handle: WorkflowHandle<typeof installThanos>;
  let namespace: string;

  beforeAll(async () => {
    namespace = await tkeNamespace(kc, 'bucket');
    const request = seedRequest(coordinates, (r) => {
      r.config.monitor.thanos.bucketConfig.config.secret_key = WRONG_SECRET;
      r.config.monitor.thanos.nodePorts = nodePorts(32001);
    });
    const input = installInputFor(request, `bucket-${Date.now().toString(36)}`, namespace);
    const started = await startInstall(env.client, input, env.taskQueue);
    handle = env.client.workflow.getHandle(started.workflowId);
  });

  test('the install waits for the operator with a clear, non-retried bucket error, having changed nothing', async () => {
    const progress = await waitForPhase(handle, 'WaitingForOperator');
    const check = progress.steps.find((s) => s.id === 'check-bucket');
    expect(check).toMatchObject({ state: 'failed', attempts: 1 });
    expect(check?.lastError).toMatch(/rejected the access key or secret key/);
    expect(check?.lastError).not.toContain(WRONG_SECRET);
    expect(progress.steps.filter((s) => s.state === 'pending')).toHaveLength(progress.steps.length - 1);
    expect(progress.message).toMatch(/Fix the cause, then retry/);
    const statefulSets = await apps.listNamespacedStatefulSet({ namespace });
    expect(statefulSets.items).toEqual([]);
  });

  test('a retry is refused, naming the field, when it carries the raw request instead of resolved settings or moves the install', async () => {
    const raw = seedRequest(coordinates).config.monitor.thanos;
    const moved = installInputFor(seedRequest(coordinates), 'moved', 'elsewhere').settings;
    for (const [request, message] of [
      [{ thanos: raw }, /^thanos: send corrected settings resolved by the installer's API or CLI/],
      [{ settings: moved }, new RegExp(`^settings\\.namespace: an install cannot move: it runs in ${namespace}, got elsewhere`)],
    ] as const) {
      const refused = await handle.executeUpdate(retryUpdate, { args: [request] }).catch((err: Error) => err);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(message);
    }
    expect((await handle.query(progressQuery)).phase).toBe('WaitingForOperator');
  });

  test('the first decision wins: a rollback sent after an accepted retry is refused with the reason; the install then finishes', async () => {
    const corrected = installInputFor(seedRequest(coordinates, (r) => {
      r.config.monitor.thanos.nodePorts = nodePorts(32001);
    }), 'corrected', namespace).settings;
    const retry = await handle.startUpdate(retryUpdate, { args: [{ settings: corrected }], waitForStage: WorkflowUpdateStage.ACCEPTED });
    const refused = await handle.executeUpdate(rollbackUpdate, { args: [{}] }).catch((err: Error) => err);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(
      /^(a retry was already accepted and is being carried out|rollback is possible while the install waits for the operator; it is Running)/,
    );
    expect((await retry.result()).phase).toBe('Running');
    const result = await handle.result();
    expect(result.phase).toBe('Succeeded');
    const check = result.progress.steps.find((s) => s.id === 'check-bucket');
    expect(check).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(check?.result).toMatch(/probe object written, read back and deleted \(Signature V2, path addressing\)/);
  });
});

describe('a release whose pods never become ready', () => {
  let namespace: string;
  const clusterName = `unready-${Date.now().toString(36)}`;

  beforeAll(async () => {
    namespace = await tkeNamespace(kc, 'unready');
    const request = seedRequest(coordinates, (r) => {
      r.config.monitor.thanos.nodePorts = nodePorts(32011);
    });
    const input = installInputFor(request, clusterName, namespace);
    const first = await startInstall(env.client, input, env.taskQueue);
    expect((await env.client.workflow.getHandle<typeof installThanos>(first.workflowId).result()).phase).toBe('Succeeded');
  });

  test('an upgrade to it fails naming the components and their pods\' reasons; rollback restores TKE byte for byte', async () => {
    const upgrade = seedRequest(coordinates, (r) => {
      r.config.monitor.thanos.nodePorts = nodePorts(32011);
      r.config.monitor.thanos.image = 'quay.io/thanos/thanos:v0.42.4-unready';
    });
    const input = installInputFor(upgrade, clusterName, namespace, { readinessTimeoutSeconds: 8 });
    const started = await startInstall(env.client, input, env.taskQueue);
    const handle = env.client.workflow.getHandle<typeof installThanos>(started.workflowId);
    const progress = await waitForPhase(handle, 'WaitingForOperator');
    const wait = progress.steps.find((s) => s.id === 'wait-thanos-ready');
    expect(wait?.state).toBe('failed');
    for (const component of ['receive', 'query', 'store', 'compact', 'rule']) {
      expect(wait?.lastError).toContain(`${component} is not ready`);
    }
    expect(wait?.lastError).toMatch(/thanos-query-[a-z0-9]+-[a-z0-9]+: Running \(Ready ContainersNotReady: readiness probe failed/);
    // The consumers still point at Thanos from the first install.
    const before = await core.readNamespacedConfigMap({ name: 'tke-monitor-api', namespace });
    expect(before.data?.['tke-monitor-config.yaml']).toContain('thanos');

    const accepted = await handle.executeUpdate(rollbackUpdate, { args: [{}] });
    expect(accepted.phase).toBe('RollingBack');
    const result = await handle.result();
    expect(result.phase).toBe('RolledBack');
    expect(result.progress.rollbackSteps.map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    for (const name of TKE_CONSUMERS) {
      const cm = await core.readNamespacedConfigMap({ name, namespace });
      expect(cm.data).toEqual(TKE_FIXTURE_CONFIG[name]);
    }
    expect((await apps.listNamespacedStatefulSet({ namespace })).items).toEqual([]);
    expect((await apps.listNamespacedDeployment({ namespace })).items.map((d) => d.metadata?.name).sort()).toEqual(
      [...TKE_CONSUMERS].sort(),
    );
  });
});

describe('cancelling a running install', () => {
  test('rolls back what the install did and ends the workflow as cancelled', async () => {
    const namespace = await tkeNamespace(kc, 'cancel');
    const request = seedRequest(coordinates, (r) => {
      r.config.monitor.thanos.nodePorts = nodePorts(32051);
      r.config.monitor.thanos.image = 'quay.io/thanos/thanos:v0.42.4-slow';
    });
    const input = installInputFor(request, `cancel-${Date.now().toString(36)}`, namespace);
    const started = await startInstall(env.client, input, env.taskQueue);
    const handle = env.client.workflow.getHandle<typeof installThanos>(started.workflowId);
    for (;;) {
      const progress = await handle.query(progressQuery);
      if (progress.steps.find((s) => s.id === 'wait-thanos-ready')?.state === 'running') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    const progress = await handle.query(progressQuery);
    expect(progress.phase).toBe('RolledBack');
    expect(progress.steps.find((s) => s.id === 'wait-thanos-ready')?.state).not.toBe('succeeded');
    expect((await apps.listNamespacedStatefulSet({ namespace })).items).toEqual([]);
    for (const name of TKE_CONSUMERS) {
      expect((await core.readNamespacedConfigMap({ name, namespace })).data).toEqual(TKE_FIXTURE_CONFIG[name]);
    }
    const description = await handle.describe();
    expect(description.status.name).toBe('CANCELLED');
  });
});
