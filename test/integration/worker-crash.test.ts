/**
 * The worker process is killed outright while the install waits for Thanos
 * to become ready; a new worker process finishes the install, and no step
 * that had completed runs again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startInstall } from '../../src/client/installs';
import { workerEnvOn } from '../../src/testground/coordinates';
import { installThanos } from '../../src/workflows';
import { progressQuery } from '../../src/workflows/contracts';
import { installInputFor, seedRequest, startWorkerAndClient, tkeNamespace, type RunningWorker } from '../support/install';
import { testGround } from '../support/testground';

jest.setTimeout(180_000);

const { coordinates, kc } = testGround();
const workerScript = resolve(__dirname, '..', '..', 'dist', 'worker.js');
let client: RunningWorker;
const workers: ChildProcess[] = [];

/** A worker process started as operators start it: `node dist/worker.js`, configured by its environment. */
function startWorkerProcess(taskQueue: string, name: string): ChildProcess {
  const log = openSync(join(coordinates.runDir, 'logs', `${name}.log`), 'a');
  const worker = spawn(process.execPath, [workerScript], {
    env: { PATH: process.env.PATH, ...workerEnvOn(coordinates, taskQueue) },
    stdio: ['ignore', log, log],
  });
  workers.push(worker);
  return worker;
}

beforeAll(async () => {
  // This client's own in-process worker polls another task queue; the
  // install runs only on the worker processes below.
  client = await startWorkerAndClient(coordinates, 'crash-client');
});
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await client?.stop();
});

test('a new worker finishes an install whose worker was killed while waiting for readiness', async () => {
  const namespace = await tkeNamespace(kc, 'crash');
  const taskQueue = `crash-${Date.now().toString(36)}`;
  const request = seedRequest(coordinates, (r) => {
    // The fake kubelet makes pods of a `-slow` image take 20 s to become ready.
    r.config.monitor.thanos.image = 'quay.io/thanos/thanos:v0.42.4-slow';
    r.config.monitor.thanos.nodePorts = { receiveGrpc: 32021, receiveHttp: 32022, receiveRemoteWrite: 32023 };
  });
  const input = installInputFor(request, `crash-${Date.now().toString(36)}`, namespace);
  const first = startWorkerProcess(taskQueue, 'worker-1');
  const started = await startInstall(client.client, input, taskQueue);
  const handle = client.client.workflow.getHandle<typeof installThanos>(started.workflowId);

  for (;;) {
    const progress = await handle.query(progressQuery);
    if (progress.steps.find((s) => s.id === 'wait-thanos-ready')?.state === 'running') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  startWorkerProcess(taskQueue, 'worker-2');

  const result = await handle.result();
  expect(result.phase).toBe('Succeeded');
  const wait = result.progress.steps.find((s) => s.id === 'wait-thanos-ready');
  expect(wait?.attempts).toBe(2);

  const history = await handle.fetchHistory();
  const scheduled: Record<string, number> = {};
  for (const event of history.events ?? []) {
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) scheduled[name] = (scheduled[name] ?? 0) + 1;
  }
  // Completed steps ran once; only the interrupted wait ran again.
  expect(scheduled).toEqual({
    checkBucket: 1,
    preflight: 1,
    applyThanosObjects: 3,
    waitForThanosReady: 2,
    reconfigureConsumers: 1,
    restartConsumers: 1,
  });
  const timedOut = (history.events ?? []).filter((e) => e.activityTaskTimedOutEventAttributes);
  expect(timedOut).toHaveLength(1);
});
