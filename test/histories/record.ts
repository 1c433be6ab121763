/**
 * Records the histories of today's workflows on a local test ground, so that
 * the replay test can show that every later change to the workflow code
 * still replays them (installs that are running or waiting for the operator
 * when a new worker version rolls out). Payloads are encrypted with the
 * test-only key in test/histories/codec-key, which the replay test uses too.
 *
 * Usage: npm run record-histories -- NAME_PREFIX [SCENARIO_PREFIX]
 *   (e.g. v1: writes test/histories/v1-*.json; v3 reconfigure: only the reconfiguration scenarios)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startDriftWatch, stopDriftWatch, watchSaysInSync } from '../../src/client/drift-watch';
import { connectClient, installInputOf, startInstall, startReconfigure, startUninstall } from '../../src/client/installs';
import { validateInstallRequest } from '../../src/request/validate';
import { readCoordinates, workerConfigOn, type TestGroundCoordinates } from '../../src/testground/coordinates';
import { startTestGround } from '../../src/testground/ground';
import { binPath } from '../../src/testground/paths';
import { seedRequestOn, type SeedRequest } from '../../src/testground/seed-request';
import { installTkeFixture } from '../../src/testground/tke-fixture';
import { installThanos, reconfigureThanos, uninstallThanos } from '../../src/workflows';
import { DRIFT_MEMO, driftWatchWorkflowIdFor, progressQuery, retryUpdate, rollbackUpdate, type DriftState } from '../../src/workflows/contracts';
import type { Progress } from '../../src/workflows/progress';
import { createWorker } from '../../src/worker';

import { HISTORIES, recordingKeys } from './key';

const run = promisify(execFile);

function inputFor(c: TestGroundCoordinates, name: string, namespace: string, edit: (r: SeedRequest) => void = () => {}) {
  const request = seedRequestOn(c);
  edit(request);
  const validated = validateInstallRequest(request);
  if (!validated.ok) throw new Error(`invalid request: ${JSON.stringify(validated)}`);
  const input = installInputOf(name, { ...validated.settings, namespace }, { readinessTimeoutSeconds: 60, rolloutTimeoutSeconds: 60 });
  return { input, request };
}

async function waitForPhase(handle: WorkflowHandle<typeof installThanos | typeof reconfigureThanos>, phase: Progress['phase']): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await handle.query(progressQuery)).phase !== phase) {
    if (Date.now() > deadline) throw new Error(`${handle.workflowId} never reached ${phase}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Saves a workflow's history as the Temporal CLI exports it, the format replayers read. */
async function save(c: TestGroundCoordinates, prefix: string, scenario: string, workflowId: string, runId?: string): Promise<void> {
  if (!scenario.startsWith(process.argv[3] ?? '')) return;
  const { stdout } = await run(binPath('temporal'), [
    'workflow', 'show', '--workflow-id', workflowId, ...(runId ? ['--run-id', runId] : []), '--address', c.temporal.address, '--namespace', c.temporal.namespace, '--output', 'json',
  ], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HOME: HISTORIES } });
  const file = join(HISTORIES, `${prefix}-${scenario}.json`);
  writeFileSync(file, stdout);
  process.stdout.write(`${file}: ${(JSON.parse(stdout) as { events: unknown[] }).events.length} events\n`);
}

async function record(c: TestGroundCoordinates, prefix: string): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(c.kubernetes.kubeconfig);
  const taskQueue = `record-${Date.now().toString(36)}`;
  const worker = await createWorker({ ...workerConfigOn(c, taskQueue), codecKeys: recordingKeys() });
  const running = worker.run();
  const client = await connectClient({ address: c.temporal.address, namespace: c.temporal.namespace, codecKeys: recordingKeys() });
  const stamp = Date.now().toString(36);
  const namespace = async (name: string): Promise<string> => {
    const ns = `${name}-${stamp}`;
    await installTkeFixture(kc, ns);
    return ns;
  };
  const ports = (base: number) => (r: SeedRequest) => {
    r.config.monitor.thanos.nodePorts = { receiveGrpc: base, receiveHttp: base + 1, receiveRemoteWrite: base + 2 };
  };
  const wrongKey = (base: number) => (r: SeedRequest) => {
    ports(base)(r);
    r.config.monitor.thanos.bucketConfig.config.secret_key = 'not-the-minio-secret';
  };
  try {
    // Succeeded, then uninstalled.
    const ok = inputFor(c, `succeeded-${stamp}`, await namespace('succeeded'), ports(32101));
    const okStarted = await startInstall(client, ok.input, taskQueue);
    await client.workflow.getHandle<typeof installThanos>(okStarted.workflowId).result();
    await save(c, prefix, 'install-succeeded', okStarted.workflowId);

    // Its drift watch: in sync, then an edit (Query scaled by hand) is unknown at once, then planned as drift; then ended.
    const settingsFingerprint = `recorded-${stamp}`;
    await startDriftWatch(client, { clusterName: ok.input.clusterName, settings: ok.input.settings, settingsFingerprint, inSync: true }, taskQueue);
    const watch = client.workflow.getHandle(driftWatchWorkflowIdFor(ok.input.clusterName));
    const watchSays = async (inSync: boolean | null, trusted: boolean) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const described = await watch.describe();
        const state = described.memo?.[DRIFT_MEMO] as DriftState | undefined;
        if (state?.inSync === inSync && watchSaysInSync(described, settingsFingerprint) === trusted) return;
        if (Date.now() > deadline) throw new Error(`the drift watch never said ${inSync}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await watchSays(true, true);
    await kc.makeApiClient(k8s.AppsV1Api).patchNamespacedDeployment(
      { name: 'thanos-query', namespace: ok.input.settings.namespace, body: { spec: { replicas: 2 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await watchSays(false, false);
    await stopDriftWatch(client, ok.input.clusterName, 'recorded');
    await save(c, prefix, 'drift-watch', watch.workflowId);

    // Reconfigured (two Query replicas, and a Receive retention that restarts its pod); then a refused change, rolled back.
    const reconfigured = inputFor(c, ok.input.clusterName, ok.input.settings.namespace, (r) => {
      ports(32101)(r);
      r.config.monitor.thanos.replicas = { query: 2 };
      r.config.monitor.thanos.retention = { receive: '2d' };
    }).input;
    const changed = await startReconfigure(client, { ...reconfigured, from: ok.input.settings }, taskQueue);
    await client.workflow.getHandle<typeof reconfigureThanos>(changed.workflowId, changed.runId).result();
    await save(c, prefix, 'reconfigure-succeeded', changed.workflowId, changed.runId);
    const shrink = { ...reconfigured.settings, storage: { ...reconfigured.settings.storage, size: { ...reconfigured.settings.storage.size, store: '1Gi' } } };
    const refused = await startReconfigure(client, { ...reconfigured, settings: shrink, from: reconfigured.settings }, taskQueue);
    const refusedHandle = client.workflow.getHandle<typeof reconfigureThanos>(refused.workflowId, refused.runId);
    await waitForPhase(refusedHandle, 'WaitingForOperator');
    await refusedHandle.executeUpdate(rollbackUpdate, { args: [{}] });
    await refusedHandle.result();
    await save(c, prefix, 'reconfigure-rolled-back', refused.workflowId, refused.runId);
    const uninstall = await startUninstall(client, { clusterName: ok.input.clusterName, namespace: ok.input.settings.namespace }, taskQueue);
    await client.workflow.getHandle<typeof uninstallThanos>(uninstall.workflowId).result();
    await save(c, prefix, 'uninstall', uninstall.workflowId);

    // The bucket refuses the key: waiting for the operator; then retried with the right key.
    const retried = inputFor(c, `retried-${stamp}`, await namespace('retried'), wrongKey(32111));
    const retriedStarted = await startInstall(client, retried.input, taskQueue);
    const retriedHandle = client.workflow.getHandle<typeof installThanos>(retriedStarted.workflowId);
    await waitForPhase(retriedHandle, 'WaitingForOperator');
    await save(c, prefix, 'install-waiting-after-bucket-failure', retriedStarted.workflowId);
    const corrected = inputFor(c, retried.input.clusterName, retried.input.settings.namespace, ports(32111)).input.settings;
    await retriedHandle.executeUpdate(retryUpdate, { args: [{ settings: corrected }] });
    await retriedHandle.result();
    await save(c, prefix, 'install-retried', retriedStarted.workflowId);

    // Rolled back while waiting for the operator.
    const rolled = inputFor(c, `rolled-back-${stamp}`, await namespace('rolled-back'), wrongKey(32121));
    const rolledStarted = await startInstall(client, rolled.input, taskQueue);
    const rolledHandle = client.workflow.getHandle<typeof installThanos>(rolledStarted.workflowId);
    await waitForPhase(rolledHandle, 'WaitingForOperator');
    await rolledHandle.executeUpdate(rollbackUpdate, { args: [{}] });
    await rolledHandle.result();
    await save(c, prefix, 'install-rolled-back', rolledStarted.workflowId);

    // Cancelled while waiting for slow pods: rolls back, then ends cancelled.
    const cancelled = inputFor(c, `cancelled-${stamp}`, await namespace('cancelled'), (r) => {
      ports(32131)(r);
      r.config.monitor.thanos.image = 'quay.io/thanos/thanos:v0.42.4-slow';
    });
    const cancelledStarted = await startInstall(client, cancelled.input, taskQueue);
    const cancelledHandle = client.workflow.getHandle<typeof installThanos>(cancelledStarted.workflowId);
    const deadline = Date.now() + 60_000;
    while ((await cancelledHandle.query(progressQuery)).steps.find((s) => s.id === 'wait-thanos-ready')?.state !== 'running') {
      if (Date.now() > deadline) throw new Error('the slow install never started waiting');
      await new Promise((r) => setTimeout(r, 250));
    }
    await cancelledHandle.cancel();
    await cancelledHandle.result().catch(() => undefined);
    await save(c, prefix, 'install-cancelled', cancelledStarted.workflowId);
  } finally {
    worker.shutdown();
    await running;
    await client.connection.close();
    await worker.connection?.close();
  }
}

async function main(): Promise<void> {
  const prefix = process.argv[2];
  if (!prefix || !/^[a-z0-9-]+$/.test(prefix)) throw new Error('usage: record-histories NAME_PREFIX (e.g. v1)');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  if (process.env.THANOS_TESTGROUND_COORDINATES) {
    await record(readCoordinates(), prefix);
    return;
  }
  const ground = await startTestGround();
  try {
    await record(ground.coordinates, prefix);
  } finally {
    await ground.stop();
  }
}

if (require.main === module) {
  main().then(() => process.exit(0), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
