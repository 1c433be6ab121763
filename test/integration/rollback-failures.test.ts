/**
 * A rollback can fail too: a TKE component that will not come back after its
 * configuration is restored leaves the rollback waiting for the operator.
 * Another `rollback` then is refused with what to do (never accepted and left
 * hanging); `retry` after the fix finishes the rollback.
 */
import * as k8s from '@kubernetes/client-node';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { startInstall } from '../../src/client/installs';
import { TKE_CONSUMERS, TKE_FIXTURE_CONFIG } from '../../src/testground/tke-fixture';
import type { installThanos } from '../../src/workflows';
import { progressQuery, retryUpdate, rollbackUpdate } from '../../src/workflows/contracts';
import type { Progress } from '../../src/workflows/progress';
import { eventually } from '../support/eventually';
import { installInputFor, seedRequest, startWorkerAndClient, tkeNamespace, type RunningWorker } from '../support/install';
import { testGround } from '../support/testground';

jest.setTimeout(240_000);

const { coordinates, kc } = testGround();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
let env: RunningWorker;

beforeAll(async () => {
  env = await startWorkerAndClient(coordinates, 'rollback-failures');
});
afterAll(async () => env?.stop());

/** Sets the image of a TKE component's Deployment; a tag ending in `-unready` never passes readiness on kwok. */
async function setImage(namespace: string, name: string, image: string): Promise<string> {
  const deployment = await apps.readNamespacedDeployment({ name, namespace });
  const container = deployment.spec?.template.spec?.containers[0] as k8s.V1Container;
  const before = container.image as string;
  container.image = image;
  await apps.replaceNamespacedDeployment({ name, namespace, body: deployment });
  return before;
}

test('a rollback waiting for the operator refuses another rollback with what to do, and finishes after retry', async () => {
  const namespace = await tkeNamespace(kc, 'rollback-fails');
  const clusterName = `rollback-fails-${Date.now().toString(36)}`;
  const requestWith = (image?: string) => seedRequest(coordinates, (r) => {
    r.config.monitor.thanos.nodePorts = { receiveGrpc: 32041, receiveHttp: 32042, receiveRemoteWrite: 32043 };
    if (image) r.config.monitor.thanos.image = image;
  });
  // Installed, so that TKE's components point at Thanos; then an upgrade to pods that never become ready.
  const first = await startInstall(env.client, installInputFor(requestWith(), clusterName, namespace), env.taskQueue);
  expect((await env.client.workflow.getHandle<typeof installThanos>(first.workflowId).result()).phase).toBe('Succeeded');
  const upgrade = installInputFor(requestWith('quay.io/thanos/thanos:v0.42.4-unready'), clusterName, namespace, {
    readinessTimeoutSeconds: 6,
    rolloutTimeoutSeconds: 6,
  });
  const handle = env.client.workflow.getHandle<typeof installThanos>((await startInstall(env.client, upgrade, env.taskQueue)).workflowId);
  const phase = (wanted: Progress['phase']) =>
    eventually(`the workflow was ${wanted}`, async () => {
      const progress = await handle.query(progressQuery);
      return progress.phase === wanted ? progress : undefined;
    }, 150_000);
  await phase('WaitingForOperator');

  // tke-monitor-api will not come back from the restart the rollback gives it.
  const image = await setImage(namespace, 'tke-monitor-api', 'tkestack/tke-monitor-api:v1.9.2-unready');
  expect((await handle.executeUpdate(rollbackUpdate, { args: [{}] })).phase).toBe('RollingBack');
  const waiting = await phase('WaitingForOperator');
  const restore = waiting.rollbackSteps.find((s) => s.id === 'restore-consumers');
  expect(restore?.state).toBe('failed');
  expect(restore?.lastError).toMatch(/tke-monitor-api/);
  expect(waiting.message).toMatch(/Fix the cause, then retry the rollback/);

  const refused = await handle.executeUpdate(rollbackUpdate, { args: [{}] }).catch((err: Error) => err);
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((refused as WorkflowUpdateFailedError).cause?.message).toBe(
    'the rollback itself is waiting for the operator: fix the cause, then send retry to run its failed step again',
  );
  expect((await handle.query(progressQuery)).phase).toBe('WaitingForOperator');

  await setImage(namespace, 'tke-monitor-api', image);
  expect((await handle.executeUpdate(retryUpdate, { args: [{}] })).phase).toBe('RollingBack');
  const result = await handle.result();
  expect(result.phase).toBe('RolledBack');
  expect(result.progress.rollbackSteps.map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  for (const name of TKE_CONSUMERS) {
    expect((await core.readNamespacedConfigMap({ name, namespace })).data).toEqual(TKE_FIXTURE_CONFIG[name]);
  }
});
