/**
 * The write load that reconfiguration tests keep up while they change the
 * cluster, shown on the real node: writes through Receive's NodePort go on
 * while Receive's pod restarts, the refused ones are counted in their phase,
 * and Query returns every sample Receive acknowledged.
 */
import * as k8s from '@kubernetes/client-node';
import { startInstall, startUninstall } from '../../src/client/installs';
import { startGroundWorker } from '../../src/testground/ground-worker';
import { businessRemoteWriteUrl } from '../../src/testground/data-path';
import type { ManagedProcess } from '../../src/testground/process';
import { installThanos, uninstallThanos } from '../../src/workflows';
import { eventually } from '../support/eventually';
import { relayIntoGround, type GroundRelay } from '../support/ground-relay';
import { connectTestClient, installInputFor, nodePorts, seedRequest, tkeNamespace } from '../support/install';
import { testGround } from '../support/testground';
import { missingAcknowledged, startWriteLoad } from '../support/write-load';
import { describePhase, describeReadBack } from '../support/write-load-report';

jest.setTimeout(240_000);

const { coordinates: c, kc } = testGround();
const core = kc.makeApiClient(k8s.CoreV1Api);
const clusterName = `wload-${Date.now().toString(36)}`;
const RECEIVE_POD = 'thanos-receive-0';

let namespace: string;
let worker: ManagedProcess;
let client: Awaited<ReturnType<typeof connectTestClient>>;
let taskQueue: string;
let installed: Awaited<ReturnType<typeof installThanos>> | undefined;
let relay: GroundRelay | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  namespace = await tkeNamespace(kc, 'wload', 'real');
  taskQueue = `wload-${Date.now().toString(36)}`;
  worker = startGroundWorker(c, taskQueue);
  client = await connectTestClient(c);
  const request = seedRequest(c, (r) => {
    r.config.monitor.thanos.nodePorts = nodePorts(32551);
  }, 'real');
  const input = installInputFor(request, clusterName, namespace, { readinessTimeoutSeconds: 180, rolloutTimeoutSeconds: 120 });
  const started = await startInstall(client, input, taskQueue);
  installed = await client.workflow.getHandle<typeof installThanos>(started.workflowId).result();
  // GLOBAL_NODE_IP exists only inside the test ground: the load reaches the NodePort through a relay.
  relay = await relayIntoGround(c, await businessRemoteWriteUrl(kc, namespace));
});

afterAll(async () => {
  await relay?.stop();
  if (client && installed) {
    // Frees the NodePorts and the node's volumes for the tests after this one.
    const started = await startUninstall(client, { clusterName, namespace, deleteVolumeClaims: true }, taskQueue);
    await client.workflow.getHandle<typeof uninstallThanos>(started.workflowId).result();
  }
  await worker?.stop();
  await client?.connection.close();
  if (namespace) await core.deleteNamespace({ name: namespace });
});

test('writes through Receive\'s NodePort go on while its pod restarts; the refused ones are counted, and Query returns every acknowledged sample', async () => {
  expect(installed?.phase).toBe('Succeeded');
  expect(relay?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/receive$/);
  let deletedAt = 0;
  let readyAt = 0;
  const load = startWriteLoad({ url: relay?.url as string, labels: { __name__: 'thanos_installer_load', run: clusterName }, phase: 'steady' });
  try {
    await sleep(3_000);
    load.phase('receive pod deleted');
    const before = await core.readNamespacedPod({ name: RECEIVE_POD, namespace });
    deletedAt = Date.now();
    await core.deleteNamespacedPod({ name: RECEIVE_POD, namespace });
    await eventually(`${RECEIVE_POD} was replaced and Ready`, async () => {
      const pod = await core.readNamespacedPod({ name: RECEIVE_POD, namespace });
      const ready = pod.status?.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True');
      return pod.metadata?.uid !== before.metadata?.uid && ready ? true : undefined;
    }, 60_000);
    readyAt = Date.now();
    load.phase('receive back');
    // A write that hung while the pod was away may hold the next one back for up to its timeout.
    await eventually('ten writes were acknowledged since the pod was back', async () =>
      (load.records().filter((r) => r.phase === 'receive back' && r.acknowledged).length >= 10 ? true : undefined), 30_000);
  } finally {
    await load.stop();
  }

  const [steady, restart, back] = load.report();
  const readBack = await missingAcknowledged(kc, namespace, load);
  console.log([...load.report().map(describePhase), describeReadBack(readBack, readBack.waitedMs)].join('\n'));

  expect(steady).toMatchObject({ refused: 0 });
  expect(steady?.acknowledged).toBeGreaterThanOrEqual(10);
  // While the pod was away, writes were refused, and counted in the phase of the deletion, within its time.
  expect(restart?.refused).toBeGreaterThan(0);
  expect(restart?.firstRefusedMs).toBeGreaterThan(deletedAt - 1_000);
  expect(restart?.lastRefusedMs).toBeLessThanOrEqual(readyAt);
  expect(restart?.longestRefusalMs).toBeGreaterThan(0);
  expect(restart?.longestRefusalMs).toBeLessThanOrEqual(restart?.refusedOverMs as number);
  // At most one write's timeout (5 s) past the pod's return.
  expect(restart?.refusedOverMs).toBeLessThan(readyAt - deletedAt + 6_500);
  // Once it was back, writes were acknowledged again, up to the last.
  expect(back?.acknowledged).toBeGreaterThanOrEqual(10);
  expect(load.records().at(-1)?.acknowledged).toBe(true);
  // Every sample Receive acknowledged, before, during and after the restart, Query returns.
  expect(readBack.missing).toEqual([]);
  expect(readBack.found).toBe(readBack.acknowledged);
});
