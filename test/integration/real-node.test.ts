/**
 * The seed's example installs onto the real node: every Thanos component runs
 * the real binary built here, becomes Ready by its own probes and does its
 * job against the bucket, and a series scraped by a business cluster's
 * Prometheus reaches tke-monitor through the addresses the install wrote.
 * Everything is asserted through the components' own HTTP APIs.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { startInstall } from '../../src/client/installs';
import { DEFAULT_THANOS_IMAGE } from '../../src/request/defaults';
import { parseQuantity } from '../../src/request/formats';
import { startGroundWorker } from '../../src/testground/ground-worker';
import { startBusinessPrometheus } from '../../src/testground/node/business-cluster';
import type { ManagedProcess } from '../../src/testground/process';
import { installThanos } from '../../src/workflows';
import { apiServerGet, apiServerGetJson } from '../../src/kube/proxy';
import { askTkeMonitor, businessRemoteWriteUrl, waitForSamplesAtTkeMonitor } from '../../src/testground/data-path';
import { eventually } from '../support/eventually';
import { startApi, type RunningApi } from '../support/api';
import { cli } from '../support/cli';
import { connectTestClient, installInputFor, removeRealNodeInstall, seedRequest, tkeNamespace } from '../support/install';
import { testGround } from '../support/testground';

jest.setTimeout(300_000);

const run = promisify(execFile);

const { coordinates: c, kc } = testGround();
const core = kc.makeApiClient(k8s.CoreV1Api);
const clusterName = `real-${Date.now().toString(36)}`;
/** The business cluster's external label: only this test's series carry it. */
const businessCluster = `cls-${Date.now().toString(36)}`;
const seriesQuery = `up{cluster="${businessCluster}"}`;

let namespace: string;
let worker: ManagedProcess;
let client: Awaited<ReturnType<typeof connectTestClient>>;
let prometheus: ManagedProcess | undefined;
let taskQueue: string;
let standinBefore: { status: number; body: string };
let installed: Awaited<ReturnType<typeof installThanos>>;
let server: RunningApi;

interface PromResponse<T> { status: string; data: T }

const podProxy = (pod: string, port: number, path: string): string =>
  `/api/v1/namespaces/${namespace}/pods/${pod}:${port}/proxy${path}`;
const queryApi = (path: string): string => `/api/v1/namespaces/${namespace}/services/http:thanos-query:9090/proxy${path}`;

/** The running pod of a Thanos component. */
async function thanosPod(component: string): Promise<string> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/name=thanos-${component}` });
  const running = pods.items.find((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
  if (!running?.metadata?.name) throw new Error(`no running pod of thanos-${component}`);
  return running.metadata.name;
}

/** A metric's value in a Prometheus text exposition (the sum over its series). */
function metric(text: string, name: string): number | undefined {
  const values = text.split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => Number(line.split(' ').pop()));
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
}

beforeAll(async () => {
  namespace = await tkeNamespace(kc, 'real', 'real');
  taskQueue = `real-${Date.now().toString(36)}`;
  // The worker lives where an installer host in a TKE site lives: on the node's
  // network, where GLOBAL_NODE_IP and the bucket at the node's address answer.
  worker = startGroundWorker(c, taskQueue);
  client = await connectTestClient(c);
  standinBefore = await askTkeMonitor(kc, namespace, seriesQuery);
  const input = installInputFor(seedRequest(c, undefined, 'real'), clusterName, namespace, {
    readinessTimeoutSeconds: 180,
    rolloutTimeoutSeconds: 120,
  });
  const started = await startInstall(client, input, taskQueue);
  installed = await client.workflow.getHandle<typeof installThanos>(started.workflowId).result();
  server = await startApi(c, { client, taskQueue }, namespace);
});

afterAll(async () => {
  await prometheus?.stop();
  await server?.app.close();
  await removeRealNodeInstall(kc, { client, worker, installed: installed !== undefined, clusterName, namespace, taskQueue });
});

test('the install succeeds with the bucket at the node address and GLOBAL_NODE_IP the real node', () => {
  expect(installed.phase).toBe('Succeeded');
  expect(installed.progress.notes.join('\n')).toContain(`GLOBAL_NODE_IP is ${c.realNode.ip}`);
});

test('the install ends by writing a canary to the business clusters\' URL and reading it back through Query, with the figures', () => {
  const verify = installed.progress.steps.find((s) => s.id === 'verify-data-path');
  expect(verify).toMatchObject({ state: 'succeeded' });
  expect(verify?.result).toMatch(
    new RegExp(`^canary thanos_installer_canary\\{canary_id="[0-9a-f-]{36}"\\} written to http://${c.realNode.ip.replace(/\./g, '\\.')}:31141/api/v1/receive in \\d+ ms \\(HTTP 200\\), returned by Query after \\d+\\.\\d s$`),
  );
});

test('the data-path check runs while the TKE components restart, not after them', () => {
  const restart = installed.progress.steps.find((s) => s.id === 'restart-consumers');
  const verify = installed.progress.steps.find((s) => s.id === 'verify-data-path');
  expect(restart).toMatchObject({ state: 'succeeded' });
  expect(verify?.startedAt).toBe(restart?.startedAt);
});

test('all five components run the real Thanos binary on the real node and are Ready by their own probes', async () => {
  const pods = (await core.listNamespacedPod({ namespace })).items.filter((p) => p.metadata?.name?.startsWith('thanos-'));
  expect(pods.map((p) => p.metadata?.labels?.['app.kubernetes.io/component']).sort()).toEqual(['compact', 'query', 'receive', 'rule', 'store']);
  for (const pod of pods) {
    const name = pod.metadata?.name as string;
    const status = pod.status?.containerStatuses?.[0];
    expect({ name, node: pod.spec?.nodeName, image: status?.image, ready: status?.ready, restarts: status?.restartCount })
      .toEqual({ name, node: c.realNode.name, image: DEFAULT_THANOS_IMAGE, ready: true, restarts: 0 });
    const port = pod.metadata?.labels?.['app.kubernetes.io/component'] === 'query' ? 9090 : 10902;
    expect(await apiServerGet(kc, podProxy(name, port, '/-/ready'))).toMatchObject({ status: 200 });
    // The binary is the one built here, as Thanos builds its releases.
    const metrics = (await apiServerGet(kc, podProxy(name, port, '/metrics'))).body;
    expect(metrics).toMatch(/thanos_build_info\{[^}]*tags="netgo,slicelabels"[^}]*version="0\.42\.4"/);
    // --enable-auto-gomemlimit: Go's memory limit is 90 % of the container's, read from the pod's cgroup.
    const limit = parseQuantity(pod.spec?.containers[0]?.resources?.limits?.memory ?? '') as number;
    expect({ name, gomemlimit: metric(metrics, 'go_gc_gomemlimit_bytes') }).toEqual({ name, gomemlimit: Math.floor(limit * 0.9) });
  }
});

test('Query lists Receive, Store and Rule among its stores', async () => {
  const stores = await eventually('Query listed receive, store and rule', async () => {
    const answer = await apiServerGetJson<PromResponse<Record<string, { name: string; lastError: string | null }[]>>>(kc, queryApi('/api/v1/stores'));
    const healthy = Object.entries(answer.data).filter(([, list]) => list.some((s) => s.lastError === null)).map(([type]) => type);
    return ['receive', 'rule', 'store'].every((t) => healthy.includes(t)) ? healthy : undefined;
  }, 90_000);
  expect(stores).toEqual(expect.arrayContaining(['receive', 'rule', 'store']));
});

test('Store has synced the bucket', async () => {
  const store = await thanosPod('store');
  const text = (await apiServerGet(kc, podProxy(store, 10902, '/metrics'))).body;
  expect(metric(text, 'thanos_blocks_meta_syncs_total')).toBeGreaterThan(0);
  expect(metric(text, 'thanos_blocks_meta_sync_failures_total')).toBe(0);
});

test('Compact runs against the bucket and has not halted', async () => {
  const compact = await thanosPod('compact');
  const text = await eventually('Compact finished an iteration', async () => {
    const body = (await apiServerGet(kc, podProxy(compact, 10902, '/metrics'))).body;
    return (metric(body, 'thanos_compact_iterations_total') ?? 0) > 0 ? body : undefined;
  }, 60_000);
  expect(metric(text, 'thanos_compact_halted')).toBe(0);
  expect(metric(text, 'thanos_objstore_bucket_operations_total')).toBeGreaterThan(0);
  expect(metric(text, 'thanos_objstore_bucket_operation_failures_total')).toBe(0);
});

test('Rule evaluates its rule groups against Query and reports them healthy', async () => {
  const rule = await thanosPod('rule');
  type Rules = { name: string; health: string; lastError?: string; lastEvaluation: string }[];
  type Groups = PromResponse<{ groups: { name: string; rules: Rules }[] }>;
  const groups = await eventually('every rule was evaluated and healthy', async () => {
    const answer = await apiServerGetJson<Groups>(kc, podProxy(rule, 10902, '/api/v1/rules'));
    const unhealthy = answer.data.groups.flatMap((g) => g.rules).filter((r) => r.health !== 'ok');
    if (unhealthy.length > 0) throw new Error(unhealthy.map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`).join('; '));
    return answer.data.groups;
  }, 90_000);
  expect(groups.map((g) => g.name)).toContain('thanos-compact');
  for (const r of groups.flatMap((g) => g.rules)) expect(r.lastEvaluation).not.toMatch(/^0001/);
});

test('a series scraped by a business cluster\'s Prometheus reaches tke-monitor after the install, and did not before', async () => {
  // Before: tke-monitor read InfluxDB, which has no such series.
  expect(standinBefore.status).not.toBe(200);
  expect(standinBefore.body).toContain('influxDB');

  // The business cluster gets its remote_write URL as tke-platform-controller hands it out.
  const remoteWriteUrl = await businessRemoteWriteUrl(kc, namespace);
  expect(remoteWriteUrl).toBe(`http://${c.realNode.ip}:31141/api/v1/receive`);
  prometheus = await startBusinessPrometheus(c.businessCluster, {
    remoteWriteUrl,
    externalLabels: { cluster: businessCluster },
    dir: join(c.runDir, `business-${businessCluster}`),
  });

  const samples = await waitForSamplesAtTkeMonitor(kc, namespace, seriesQuery, 90_000);
  expect(samples).toHaveLength(1);
  expect(samples[0]?.metric).toMatchObject({ __name__: 'up', cluster: businessCluster, job: 'prometheus' });
  expect(samples[0]?.value[1]).toBe('1');
});

describe('verify on demand', () => {
  const serverArgs = () => ['--server', server.url, '--token', server.token];

  test('the API and the CLI check the installed cluster\'s data path again, with the figures', async () => {
    const started = await server.api.verify(clusterName);
    expect(started.httpStatus).toBe(202);
    const run = await cli(['verify', clusterName, ...serverArgs()]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\[x\] Verify the data path.*: canary thanos_installer_canary\{canary_id="[0-9a-f-]{36}"\} written to http:\/\/10\.250\.0\.1:31141\/api\/v1\/receive in \d+ ms \(HTTP 200\), returned by Query after [\d.]+ s/);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('Success');
    const json = await cli(['verify', clusterName, '-o', 'json', ...serverArgs()]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'Success', phase: 'Succeeded', steps: [{ id: 'verify-data-path', state: 'succeeded' }] });
  });

  test('with the NodePort gone, verify fails naming the unreachable URL and where to look, and changes nothing', async () => {
    await core.deleteNamespacedService({ name: 'thanos-receive-nodeport', namespace });
    // kube-proxy drops the NodePort's rules a moment after the Service goes.
    await eventually('the NodePort refused connections on the node\'s network', async () => {
      const open = await run('nsenter', ['-t', String(c.realNode.netnsPid), '-n', '--', 'bash', '-c', `exec 3<>/dev/tcp/${c.realNode.ip}/31141`])
        .then(() => true, () => false);
      return open ? undefined : true;
    }, 30_000);
    const failed = await cli(['verify', clusterName, '-o', 'json', ...serverArgs()]);
    expect(failed.code).toBe(1);
    const progress = JSON.parse(failed.stdout) as { status: string; steps: { lastError: string; attempts: number }[] };
    expect(progress.status).toBe('Failed');
    expect(progress.steps[0]?.attempts).toBe(3);
    expect(progress.steps[0]?.lastError).toMatch(
      /^the remote-write NodePort http:\/\/10\.250\.0\.1:31141\/api\/v1\/receive is unreachable from the worker \(ECONNREFUSED\): check the firewall .*kube-proxy.*GLOBAL_NODE_IP 10\.250\.0\.1 \(from cluster\.spec\.machines\[0\]\.ip\)$/,
    );
    expect((await core.listNamespacedService({ namespace })).items.map((svc) => svc.metadata?.name)).not.toContain('thanos-receive-nodeport');
  });
});
