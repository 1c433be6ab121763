/**
 * How failures reach the operator: what retrying cannot fix goes to them at
 * once, in the words of whoever refused (the API server refusing a write
 * under a ResourceQuota, a TKE component whose new pods never become ready);
 * what may pass (a bucket endpoint nobody answers on) is tried again first.
 */
import { createServer, type AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import type { WorkflowHandle } from '@temporalio/client';
import { startInstall } from '../../src/client/installs';
import { RECEIVE_NODEPORT_SERVICE_NAME } from '../../src/render/thanos/receive';
import { tkeConsumerImage } from '../../src/testground/tke-fixture';
import { installThanos } from '../../src/workflows';
import { progressQuery, retryUpdate, rollbackUpdate } from '../../src/workflows/contracts';
import type { Progress, StepProgress } from '../../src/workflows/progress';
import { DEFAULT_STEP_POLICY, type StepPolicy } from '../../src/workflows/steps';
import { installInputFor, nodePorts, ownedNamespaces, type RunningWorker, type SeedRequest, seedRequest, startWorkerAndClient } from '../support/install';
import { testGround } from '../support/testground';

jest.setTimeout(180_000);

const { coordinates, kc } = testGround();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
let env: RunningWorker;
const namespaces = ownedNamespaces(kc);

beforeAll(async () => {
  env = await startWorkerAndClient(coordinates, 'errors');
});
afterAll(async () => {
  await env?.stop();
  await namespaces.deleteAll();
});


async function waitFor(
  handle: WorkflowHandle<typeof installThanos>,
  what: string,
  done: (progress: Progress) => boolean,
  timeoutMs = 120_000,
): Promise<Progress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progress = await handle.query(progressQuery);
    if (done(progress)) return progress;
    if (Date.now() > deadline) throw new Error(`never ${what}: ${progress.phase} (${progress.message})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The pauses between a step's attempts when every attempt fails. */
function backOffMs(policy: StepPolicy): number {
  let total = 0;
  for (let i = 1, interval = policy.initialIntervalSeconds; i < policy.maxAttempts; i++, interval = Math.min(interval * 2, policy.maxIntervalSeconds)) {
    total += interval * 1000;
  }
  return total;
}

const stepOf = (progress: Progress, id: string) => progress.steps.find((s) => s.id === id) as StepProgress;

async function install(prefix: string, edit: Parameters<typeof seedRequest>[1], namespace: string, rolloutTimeoutSeconds?: number) {
  const input = installInputFor(seedRequest(coordinates, edit), `${prefix}-${Date.now().toString(36)}`, namespace, rolloutTimeoutSeconds ? { rolloutTimeoutSeconds } : {});
  const started = await startInstall(env.client, input, env.taskQueue);
  return env.client.workflow.getHandle<typeof installThanos>(started.workflowId);
}

test('a write the API server refuses (403, over a ResourceQuota) goes to the operator at once, naming the object and the server\'s words; retry after the fix finishes', async () => {
  const namespace = await namespaces.create('quota');
  await core.createNamespacedResourceQuota({
    namespace,
    body: { metadata: { name: 'no-nodeports' }, spec: { hard: { 'services.nodeports': '0' } } },
  });
  // The quota admits nothing until its controller has counted what exists.
  for (let q = await core.readNamespacedResourceQuota({ name: 'no-nodeports', namespace }); !q.status?.hard; ) {
    await new Promise((r) => setTimeout(r, 200));
    q = await core.readNamespacedResourceQuota({ name: 'no-nodeports', namespace });
  }
  const handle = await install('quota', (r) => {
    r.config.monitor.thanos.nodePorts = nodePorts(32401);
  }, namespace);

  const progress = await waitFor(handle, 'waiting for the operator', (p) => p.phase === 'WaitingForOperator');
  const deploy = stepOf(progress, 'deploy-receive');
  expect(deploy).toMatchObject({ state: 'failed', attempts: 1 });
  expect(deploy.lastError).toContain(`Service ${namespace}/${RECEIVE_NODEPORT_SERVICE_NAME}: the Kubernetes API server answered 403 Forbidden: `);
  expect(deploy.lastError).toContain(`services "${RECEIVE_NODEPORT_SERVICE_NAME}" is forbidden: exceeded quota: no-nodeports`);
  expect(deploy.lastError).not.toMatch(/HTTP-Code|Headers/);
  expect(progress.message).toContain(deploy.lastError as string);

  await core.deleteNamespacedResourceQuota({ name: 'no-nodeports', namespace });
  await handle.executeUpdate(retryUpdate, { args: [{}] });
  const result = await handle.result();
  expect(result.phase).toBe('Succeeded');
  expect(stepOf(result.progress, 'deploy-receive')).toMatchObject({ state: 'succeeded', attempts: 2 });
});

test('an endpoint that speaks plain HTTP, asked for HTTPS, goes to the operator at once, naming bucketConfig.config.insecure; a retry with it set finishes', async () => {
  const namespace = await namespaces.create('not-https');
  const ports = (r: SeedRequest) => {
    r.config.monitor.thanos.nodePorts = nodePorts(32431);
  };
  const handle = await install('not-https', (r) => {
    ports(r);
    r.config.monitor.thanos.bucketConfig.config.insecure = false;
  }, namespace);

  const progress = await waitFor(handle, 'waiting for the operator', (p) => p.phase === 'WaitingForOperator');
  const check = stepOf(progress, 'check-bucket');
  expect(check).toMatchObject({ state: 'failed', attempts: 1 });
  expect(check.lastError).toBe(
    `the S3 endpoint https://${coordinates.s3.endpoint} did not answer the TLS handshake (wrong version number); if it serves plain HTTP, set bucketConfig.config.insecure: true`,
  );
  expect(stepOf(progress, 'preflight').state).toBe('pending');

  const corrected = installInputFor(seedRequest(coordinates, ports), 'corrected', namespace).settings;
  await handle.executeUpdate(retryUpdate, { args: [{ settings: corrected }] });
  const result = await handle.result();
  expect(result.phase).toBe('Succeeded');
  expect(stepOf(result.progress, 'check-bucket')).toMatchObject({ state: 'succeeded', attempts: 2 });
});

test('a TKE component whose new pods never become ready: the rollout timeout goes to the operator at once, naming it; retry after the fix finishes', async () => {
  const namespace = await namespaces.create('rollout');
  const setImage = (image: string) =>
    apps.patchNamespacedDeployment(
      { name: 'tke-monitor-controller', namespace, body: { spec: { template: { spec: { containers: [{ name: 'tke-monitor-controller', image }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
  // A broken release of the component: its pods run but never pass their readiness probe.
  await setImage(`${tkeConsumerImage('tke-monitor-controller')}-unready`);
  const handle = await install('rollout', (r) => {
    r.config.monitor.thanos.nodePorts = nodePorts(32411);
  }, namespace, 15);

  const progress = await waitFor(handle, 'waiting for the operator', (p) => p.phase === 'WaitingForOperator');
  const restart = stepOf(progress, 'restart-consumers');
  expect(restart).toMatchObject({ state: 'failed', attempts: 1 });
  expect(restart.lastError).toMatch(/^timed out after 15s: deployment tke-monitor-controller: [^|]*; pods: /);
  expect(restart.lastError).toMatch(/tke-monitor-controller-[a-z0-9]+-[a-z0-9]+: Running \(Ready ContainersNotReady: readiness probe failed/);
  expect(restart.lastError).not.toMatch(/deployment tke-monitor-api|deployment tke-platform-controller/);

  await setImage(tkeConsumerImage('tke-monitor-controller'));
  await handle.executeUpdate(retryUpdate, { args: [{}] });
  const result = await handle.result();
  expect(result.phase).toBe('Succeeded');
  expect(stepOf(result.progress, 'restart-consumers')).toMatchObject({ state: 'succeeded', attempts: 2 });
});

test('an unreachable bucket endpoint is tried again with back-off before it goes to the operator', async () => {
  const namespace = await namespaces.create('unreachable');
  // A loopback port nobody listens on: connections are refused.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise((resolve) => closed.close(resolve));
  const handle = await install('unreachable', (r) => {
    r.config.monitor.thanos.nodePorts = nodePorts(32421);
    r.config.monitor.thanos.bucketConfig.config.endpoint = `127.0.0.1:${port}`;
  }, namespace);

  const retrying = await waitFor(handle, 'retrying the bucket check', (p) => stepOf(p, 'check-bucket').attempts >= 2);
  expect(retrying.phase).toBe('Running');
  expect(stepOf(retrying, 'check-bucket').lastError).toContain(`cannot reach the S3 endpoint http://127.0.0.1:${port}: connect ECONNREFUSED`);

  const progress = await waitFor(handle, 'waiting for the operator', (p) => p.phase === 'WaitingForOperator');
  const check = stepOf(progress, 'check-bucket');
  expect(check).toMatchObject({ state: 'failed', attempts: DEFAULT_STEP_POLICY.maxAttempts });
  expect(check.lastError).toContain(`cannot reach the S3 endpoint http://127.0.0.1:${port}`);
  // The attempts were spread over the policy's growing pauses.
  expect((check.finishedAt as number) - (check.startedAt as number)).toBeGreaterThanOrEqual(backOffMs(DEFAULT_STEP_POLICY));
  expect(stepOf(progress, 'preflight').state).toBe('pending');

  await handle.executeUpdate(rollbackUpdate, { args: [{}] });
  expect((await handle.result()).phase).toBe('RolledBack');
});
