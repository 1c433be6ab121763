/**
 * The installer API over HTTP on the real test ground: the seed's example
 * reaches Success with progress moving through the steps; the same request
 * again answers with the same install, a different one while it runs is a
 * conflict; a wrong bucket is retried with corrected credentials; a failed
 * install is rolled back; and 30+ bad requests are refused with the right
 * status and a message naming the problem, changing nothing in the cluster.
 */
import * as k8s from '@kubernetes/client-node';
import { TKE_CONSUMERS, TKE_FIXTURE_CONFIG } from '../../src/testground/tke-fixture';
import type { ProgressDto } from '../../src/client/api-client';
import { objectVersions, type RunningWorker, seedRequest, type SeedRequest, startWorkerAndClient, tkeNamespace } from '../support/install';
import { startApi, type RunningApi } from '../support/api';
import { testGround } from '../support/testground';
import type { Payload } from '@temporalio/common';
import { DEFAULT_TIMEOUTS } from '../../src/client/installs';
import { AesGcmPayloadCodec } from '../../src/codec/codec';
import { validateInstallRequest } from '../../src/request/validate';
import { codecKeysOf } from '../../src/testground/coordinates';
import { workflowIdFor } from '../../src/workflows/contracts';

jest.setTimeout(180_000);

const { coordinates, kc } = testGround();
const core = kc.makeApiClient(k8s.CoreV1Api);
let env: RunningWorker;

beforeAll(async () => {
  env = await startWorkerAndClient(coordinates, 'api');
});
afterAll(async () => env?.stop());

/** The seed's request for a cluster of its own, with NodePorts of its own. */
function requestFor(cluster: string, portBase: number, edit: (r: SeedRequest) => void = () => {}): SeedRequest {
  return seedRequest(coordinates, (r) => {
    r.cluster.metadata = { name: cluster };
    r.config.monitor.thanos.nodePorts = { receiveGrpc: portBase, receiveHttp: portBase + 1, receiveRemoteWrite: portBase + 2 };
    edit(r);
  });
}

async function followUntil(server: RunningApi, cluster: string, done: (p: ProgressDto) => boolean): Promise<{ last: ProgressDto; seen: ProgressDto[] }> {
  const seen: ProgressDto[] = [];
  const deadline = Date.now() + 120_000;
  for (;;) {
    const answer = await server.api.progress(cluster);
    expect(answer.httpStatus).toBe(200);
    seen.push(answer.body);
    if (done(answer.body)) return { last: answer.body, seen };
    if (Date.now() > deadline) throw new Error(`progress never reached the expected state: ${answer.body.data}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the seed example through POST /api/cluster', () => {
  let server: RunningApi;
  const cluster = `api-seed-${Date.now().toString(36)}`;

  beforeAll(async () => {
    server = await startApi(coordinates, env, await tkeNamespace(kc, 'api-seed'));
  });
  afterAll(async () => server?.app.close());

  test('starts, moves through the steps and reaches Success; the same request again answers with the same install', async () => {
    const request = requestFor(cluster, 32101, (r) => {
      r.config.monitor.thanos.image = 'quay.io/thanos/thanos:v0.42.4-slow';
    });
    const started = await server.api.install(request);
    expect(started.httpStatus).toBe(202);
    expect(started.body).toMatchObject({ clusterName: cluster, status: 'Doing', workflowId: `thanos-installer-${cluster}` });
    expect(started.body.webUiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/thanos-installer-/);
    expect(JSON.stringify(started.body)).not.toContain(coordinates.s3.secretKey);

    const again = await server.api.install(request);
    expect(again.httpStatus).toBe(200);
    expect(again.body.runId).toBe(started.body.runId);

    const different = await server.api.install(requestFor(cluster, 32101, (r) => {
      r.config.monitor.thanos.replicas = { query: 2 };
    }));
    expect(different.httpStatus).toBe(409);
    expect(different.body.message).toMatch(/a different install is running for cluster/);

    const { last, seen } = await followUntil(server, cluster, (p) => p.status === 'Success' || p.status === 'Failed');
    expect(last.status).toBe('Success');
    expect(last.data).toMatch(/^install of Thanos on cluster api-seed-.*: Succeeded/);
    expect(JSON.stringify(seen)).not.toContain(coordinates.s3.secretKey);
    // The answers saw steps finish one after another.
    const succeededCounts = seen.map((p) => (p.steps ?? []).filter((s) => s.state === 'succeeded').length);
    expect(succeededCounts[0]).toBeLessThan(8);
    expect(succeededCounts.at(-1)).toBe(8);
    expect([...succeededCounts].sort((a, b) => a - b)).toEqual(succeededCounts);
    expect(seen.some((p) => p.status === 'Doing')).toBe(true);

    const afterwards = await server.api.install(request);
    expect(afterwards.httpStatus).toBe(200);
    expect(afterwards.body.status).toBe('Finished');
  });
});

describe('retry and rollback through the API', () => {
  let server: RunningApi;
  let namespace: string;
  const cluster = `api-retry-${Date.now().toString(36)}`;

  beforeAll(async () => {
    namespace = await tkeNamespace(kc, 'api-retry');
    server = await startApi(coordinates, env, namespace);
  });
  afterAll(async () => server?.app.close());

  test('a wrong bucket fails with a clear message; retry with corrected credentials succeeds', async () => {
    const wrong = requestFor(cluster, 32111, (r) => {
      r.config.monitor.thanos.bucketConfig.config.secret_key = 'not-the-minio-secret-1';
    });
    expect((await server.api.install(wrong)).httpStatus).toBe(202);
    const { last } = await followUntil(server, cluster, (p) => p.status === 'Failed');
    expect(last.data).toMatch(/\[!\] Check the object storage bucket: .*rejected the access key or secret key/);
    expect(last.data).not.toContain('not-the-minio-secret-1');

    const invalid = await server.api.retry(cluster, { bucketConfig: { type: 'S3', config: { bucket: 'thanos' } } });
    expect(invalid.httpStatus).toBe(400);
    expect(invalid.body.errors?.map((e) => e.path)).toContain('config.monitor.thanos.bucketConfig.config.endpoint');

    const corrected = requestFor(cluster, 32111).config.monitor.thanos;
    const retried = await server.api.retry(cluster, corrected);
    expect(retried.httpStatus).toBe(200);
    const { last: finished } = await followUntil(server, cluster, (p) => p.status === 'Success' || p.status === 'Failed');
    expect(finished.status).toBe('Success');
    expect(finished.data).toContain('[x] Check the object storage bucket (attempt 2)');
    // Nothing is waiting any more: a second retry is a conflict.
    expect((await server.api.retry(cluster)).httpStatus).toBe(409);

    // The workflow was given complete settings, resolved by the API, for the install and the retry alike:
    // a release that changes a default cannot change an install already running.
    const resolved = (r: SeedRequest) => {
      const validated = validateInstallRequest(r);
      if (!validated.ok) throw new Error('invalid test request');
      return { ...validated.settings, namespace };
    };
    const events = (await env.client.workflow.getHandle(workflowIdFor(cluster)).fetchHistory()).events ?? [];
    const codec = new AesGcmPayloadCodec(codecKeysOf(coordinates));
    const decoded = async (payload: Payload | undefined) =>
      JSON.parse(Buffer.from((await codec.decode([payload as Payload]))[0]?.data ?? []).toString()) as Record<string, unknown>;
    const input = await decoded(events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]);
    expect(input).toEqual({ clusterName: cluster, settings: resolved(wrong), ...DEFAULT_TIMEOUTS });
    const retryEvent = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const retryArgs = await decoded(retryEvent?.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads?.[0]);
    expect(retryArgs).toEqual({ settings: resolved(requestFor(cluster, 32111)) });
  });

  test('a failed change of the installed cluster is rolled back to the settings that last succeeded, not to no Thanos', async () => {
    const upgrade = requestFor(cluster, 32111, (r) => {
      r.config.monitor.thanos.bucketConfig.config.bucket = 'no-such-bucket';
    });
    const installedConfig = await Promise.all(TKE_CONSUMERS.map(async (name) => (await core.readNamespacedConfigMap({ name, namespace })).data));
    const installedObjects = await objectVersions(kc, namespace);
    const started = await server.api.install(upgrade);
    expect(started).toMatchObject({ httpStatus: 202, body: { reconfigure: 'change' } });
    const { last: failedChange } = await followUntil(server, cluster, (p) => p.status === 'Failed');
    expect(failedChange.data).toMatch(/^reconfigure of Thanos on cluster .*: WaitingForOperator: Check the object storage bucket failed: .*bucket 'no-such-bucket' does not exist/);
    // The bucket is checked before anything moves.
    expect(await objectVersions(kc, namespace)).toEqual(installedObjects);

    const rolledBack = await server.api.rollback(cluster);
    expect(rolledBack.httpStatus).toBe(200);
    const { last: final } = await followUntil(server, cluster, (p) => p.phase === 'RolledBack');
    expect(final.status).toBe('Failed');
    // Thanos runs on with the settings of the install, and TKE still points at it.
    expect(await Promise.all(TKE_CONSUMERS.map(async (name) => (await core.readNamespacedConfigMap({ name, namespace })).data))).toEqual(installedConfig);
    expect(await objectVersions(kc, namespace)).toEqual(installedObjects);

    // The same request again after a rollback is a new reconfiguration, not "Finished".
    const again = await server.api.install(upgrade);
    expect(again).toMatchObject({ httpStatus: 202, body: { reconfigure: 'change' } });
    expect(again.body.runId).not.toBe(final.runId);
    const { last: failedAgain } = await followUntil(server, cluster, (p) => p.status === 'Failed');
    expect(failedAgain.runId).toBe(again.body.runId);
    const rolledBackAgain = await server.api.rollback(cluster);
    expect(rolledBackAgain.httpStatus).toBe(200);
    await followUntil(server, cluster, (p) => p.phase === 'RolledBack');
  });

  test('uninstall through DELETE ends Uninstalled with TKE\'s configuration as it was', async () => {
    const removed = await server.api.uninstall(cluster);
    expect(removed.httpStatus).toBe(202);
    const { last } = await followUntil(server, cluster, (p) => p.status === 'Success' || p.status === 'Failed');
    expect(last.phase).toBe('Uninstalled');
    for (const name of TKE_CONSUMERS) {
      expect((await core.readNamespacedConfigMap({ name, namespace })).data).toEqual(TKE_FIXTURE_CONFIG[name]);
    }
  });

  test('races answer 409 with the reason: a rollback sent to an uninstall, a second uninstall', async () => {
    const removed = await server.api.uninstall(cluster);
    expect(removed.httpStatus).toBe(202);
    const [rollback, secondUninstall] = await Promise.all([server.api.rollback(cluster), server.api.uninstall(cluster)]);
    expect(rollback.httpStatus).toBe(409);
    expect(rollback.body.message).toMatch(/is being uninstalled, which cannot be rolled back|no install of cluster .* is waiting for the operator/);
    expect(secondUninstall.httpStatus).toBe(409);
    expect(secondUninstall.body.message).toMatch(/uninstall.* (is running|started meanwhile)/);
    await followUntil(server, cluster, (p) => p.phase === 'Uninstalled');
  });

  test('a finished run answers its progress from its result, with no worker running', async () => {
    const stopped = await startApi(coordinates, { client: env.client, taskQueue: `no-worker-${Date.now().toString(36)}` }, namespace);
    try {
      const answer = await stopped.api.progress(cluster);
      expect(answer.httpStatus).toBe(200);
      expect(answer.body).toMatchObject({ status: 'Success', phase: 'Uninstalled' });
    } finally {
      await stopped.app.close();
    }
  });
});

describe('a running install whose worker is down', () => {
  test('answers 503 with the reason, not Failed', async () => {
    const taskQueue = `no-worker-${Date.now().toString(36)}`;
    const namespace = await tkeNamespace(kc, 'api-noworker');
    const server = await startApi(coordinates, { client: env.client, taskQueue }, namespace);
    try {
      const cluster = `no-worker-${Date.now().toString(36)}`;
      expect((await server.api.install(requestFor(cluster, 32121))).httpStatus).toBe(202);
      const answer = await server.api.progress(cluster);
      expect(answer.httpStatus).toBe(503);
      expect(answer.body.status).toBe('Unknown');
      expect(answer.body.data).toMatch(new RegExp(`is running, but no worker answered for its progress within 3s \\(is a worker running on task queue ${taskQueue}\\?\\)`));
      await env.client.workflow.getHandle(`thanos-installer-${cluster}`).terminate('test: no worker will ever run it');
    } finally {
      await server.app.close();
    }
  });

  test('the API reads its own changes at once, however long it keeps descriptions', async () => {
    const taskQueue = `no-worker-${Date.now().toString(36)}`;
    const server = await startApi(coordinates, { client: env.client, taskQueue }, await tkeNamespace(kc, 'api-own'), { descriptionMaxAgeMs: 60_000 });
    try {
      const cluster = `own-${Date.now().toString(36)}`;
      expect((await server.api.progress(cluster)).httpStatus).toBe(404);
      expect((await server.api.install(requestFor(cluster, 32124))).httpStatus).toBe(202);
      // Described as not installed a moment ago, now running (and no worker answers).
      expect((await server.api.progress(cluster)).httpStatus).toBe(503);
      await env.client.workflow.getHandle(`thanos-installer-${cluster}`).terminate('test: no worker will ever run it');
    } finally {
      await server.app.close();
    }
  });

  test('a change made elsewhere is seen within 50 ms', async () => {
    const taskQueue = `no-worker-${Date.now().toString(36)}`;
    const server = await startApi(coordinates, { client: env.client, taskQueue }, await tkeNamespace(kc, 'api-elsewhere'));
    try {
      const cluster = `elsewhere-${Date.now().toString(36)}`;
      expect((await server.api.install(requestFor(cluster, 32124))).httpStatus).toBe(202);
      expect((await server.api.progress(cluster)).httpStatus).toBe(503);
      await env.client.workflow.getHandle(`thanos-installer-${cluster}`).terminate('test: ended elsewhere');
      await new Promise((r) => setTimeout(r, 60));
      const ended = await server.api.progress(cluster);
      expect(ended.httpStatus).toBe(200);
      expect(ended.body).toMatchObject({ status: 'Failed', data: expect.stringContaining('ended TERMINATED') });
    } finally {
      await server.app.close();
    }
  });
});

describe('bad requests', () => {
  let server: RunningApi;
  let namespace: string;

  beforeAll(async () => {
    namespace = await tkeNamespace(kc, 'api-bad');
    server = await startApi(coordinates, env, namespace);
    before = await namespaceObjects();
  });

  let before: string[];
  const namespaceObjects = () => objectVersions(kc, namespace);

  const thanosOf = (r: SeedRequest) => r.config.monitor.thanos;
  const bucketOf = (r: SeedRequest) => thanosOf(r).bucketConfig as { type: string; config: Record<string, unknown>; prefix?: unknown };
  const config = (r: SeedRequest) => r.config as unknown as Record<string, unknown>;

  /** Each case: a change to the seed's request, and the path and message of the error it must get. */
  const invalid: [string, (r: SeedRequest) => void, string, string][] = [
    ['missing bucket', (r) => { delete bucketOf(r).config.bucket; }, 'config.monitor.thanos.bucketConfig.config.bucket', 'is required'],
    ['missing endpoint', (r) => { delete bucketOf(r).config.endpoint; }, 'config.monitor.thanos.bucketConfig.config.endpoint', 'is required'],
    ['endpoint with scheme', (r) => { bucketOf(r).config.endpoint = 'http://127.0.0.1:9000'; }, 'config.monitor.thanos.bucketConfig.config.endpoint', "must be host[:port] without scheme or path, got 'http://127.0.0.1:9000'"],
    ['endpoint with path', (r) => { bucketOf(r).config.endpoint = '127.0.0.1:9000/bucket'; }, 'config.monitor.thanos.bucketConfig.config.endpoint', "must be host[:port] without scheme or path, got '127.0.0.1:9000/bucket'"],
    ['access key without secret key', (r) => { delete bucketOf(r).config.secret_key; }, 'config.monitor.thanos.bucketConfig.config.secret_key', 'is required when access_key is set; Thanos cannot take one from the config and the other from the environment'],
    ['insecure as a string', (r) => { bucketOf(r).config.insecure = 'yes'; }, 'config.monitor.thanos.bucketConfig.config.insecure', "must be a boolean, got 'yes'"],
    ['unknown S3 field', (r) => { bucketOf(r).config.acces_key = 'x'; }, 'config.monitor.thanos.bucketConfig.config.acces_key', "is not a known field; did you mean 'access_key'? (Thanos's S3 client rejects unknown fields and would not start)"],
    ['unknown provider', (r) => { bucketOf(r).type = 'DROPBOX'; }, 'config.monitor.thanos.bucketConfig.type', "must be one of S3, GCS, AZURE, SWIFT, COS, ALIYUNOSS, BOS, OCI, OBS, FILESYSTEM (in any case), got 'DROPBOX'"],
    ['missing provider type', (r) => { delete (bucketOf(r) as Partial<{ type: string }>).type; }, 'config.monitor.thanos.bucketConfig.type', 'is required: one of S3, GCS, AZURE, SWIFT, COS, ALIYUNOSS, BOS, OCI, OBS, FILESYSTEM'],
    ['bucket config not an object', (r) => { thanosOf(r).bucketConfig = 'S3' as never; }, 'config.monitor.thanos.bucketConfig', "must be an object, got 'S3'"],
    ['missing bucketConfig', (r) => { delete (thanosOf(r) as Partial<Record<string, unknown>>).bucketConfig; }, 'config.monitor.thanos.bucketConfig', 'is required'],
    ['prefix a number', (r) => { bucketOf(r).prefix = 7; }, 'config.monitor.thanos.bucketConfig.prefix', 'must be a string, got 7'],
    ['GCS without bucket', (r) => { thanosOf(r).bucketConfig = { type: 'GCS', config: {} }; }, 'config.monitor.thanos.bucketConfig.config.bucket', 'is required'],
    ['AZURE without container', (r) => { thanosOf(r).bucketConfig = { type: 'AZURE', config: { storage_account: 'a' } }; }, 'config.monitor.thanos.bucketConfig.config.container', 'is required'],
    ['COS without secret_id', (r) => { thanosOf(r).bucketConfig = { type: 'COS', config: { bucket: 'b', app_id: '1', region: 'ap-guangzhou', secret_key: 's' } }; }, 'config.monitor.thanos.bucketConfig.config.secret_id', 'is required'],
    ['ALIYUNOSS without endpoint', (r) => { thanosOf(r).bucketConfig = { type: 'ALIYUNOSS', config: { bucket: 'b', access_key_id: 'i', access_key_secret: 's' } }; }, 'config.monitor.thanos.bucketConfig.config.endpoint', 'is required'],
    ['FILESYSTEM without directory', (r) => { thanosOf(r).bucketConfig = { type: 'FILESYSTEM', config: {} }; }, 'config.monitor.thanos.bucketConfig.config.directory', 'is required'],
    ['two monitor backends', (r) => { (r.config.monitor as Record<string, unknown>).influxDB = { local: {} }; }, 'config.monitor', 'must choose exactly one backend, got thanos and influxDB: tke-monitor would use only one of them'],
    ['no monitor backend', (r) => { delete (r.config.monitor as Partial<Record<string, unknown>>).thanos; }, 'config.monitor.thanos', 'is required: this installer sets up Thanos as the monitor backend'],
    ['receive replicas zero', (r) => { thanosOf(r).replicas = { receive: 0 }; }, 'config.monitor.thanos.replicas.receive', 'must be at least 1, got 0'],
    ['replication factor above replicas', (r) => { thanosOf(r).receiveReplicationFactor = 3; }, 'config.monitor.thanos.receiveReplicationFactor', 'must not exceed the number of receive replicas (1, replicas.receive, by default): each sample is written to 3 different replicas'],
    ['compact replicas', (r) => { thanosOf(r).replicas = { compact: 2 }; }, 'config.monitor.thanos.replicas.compact', 'must be 1 (two compactors on one bucket corrupt it), got 2'],
    ['NodePort out of range', (r) => { thanosOf(r).nodePorts = { receiveRemoteWrite: 80 }; }, 'config.monitor.thanos.nodePorts.receiveRemoteWrite', 'must be at least 30000, got 80'],
    ['NodePort a string', (r) => { thanosOf(r).nodePorts = { receiveRemoteWrite: '31141' }; }, 'config.monitor.thanos.nodePorts.receiveRemoteWrite', "must be an integer, got '31141'"],
    ['unknown Thanos setting', (r) => { thanosOf(r).replica = 2; }, 'config.monitor.thanos.replica', "is not a known field; did you mean 'replicas'?"],
    ['image and imageRegistry together', (r) => { thanosOf(r).image = 'a/thanos:v1'; thanosOf(r).imageRegistry = 'registry.tke.com/library'; }, 'config.monitor.thanos.imageRegistry', 'must not be set together with image, which is used exactly as given'],
    ['two NodePorts the same', (r) => { thanosOf(r).nodePorts = { receiveGrpc: 31141, receiveRemoteWrite: 31141 }; }, 'config.monitor.thanos.nodePorts.receiveRemoteWrite', 'must differ from nodePorts.receiveGrpc (both 31141)'],
    ['machines not an array', (r) => { (r.cluster as Record<string, unknown>).spec = { machines: {} }; }, 'cluster.spec.machines', 'must be an array, got an object'],
    ['machine without ip', (r) => { (r.cluster as { spec: { machines: Record<string, unknown>[] } }).spec.machines = [{ port: 22 }]; }, 'cluster.spec.machines[0].ip', 'is required'],
    ['config missing', (r) => { delete (r as Partial<SeedRequest>).config; }, 'config', 'is required'],
    ['monitor a string', (r) => { config(r).monitor = 'thanos'; }, 'config.monitor', "must be an object, got 'thanos'"],
    ['a cluster name no route could address', (r) => { r.cluster.metadata = { name: 'Global_1' }; }, 'cluster.metadata.name', "must be a Kubernetes object name (lower-case letters, digits, \"-\" and \".\"), got 'Global_1'"],
  ];

  test(`has at least 30 invalid requests (${invalid.length})`, () => {
    expect(invalid.length).toBeGreaterThanOrEqual(30);
  });

  test.each(invalid)('%s: 400 naming the field and what is wrong; nothing starts and nothing in the cluster changes', async (_name, edit, path, message) => {
    const cluster = `bad-${Date.now().toString(36)}`;
    const answer = await server.api.install(requestFor(cluster, 32121, edit));
    expect(answer.httpStatus).toBe(400);
    expect(answer.body.status).toBe('Failed');
    expect(answer.body.errors).toContainEqual({ path, message });
    expect(JSON.stringify(answer.body)).not.toContain(coordinates.s3.secretKey);
    await expect(env.client.workflow.getHandle(workflowIdFor(cluster)).describe()).rejects.toThrow(/not found/i);
    expect(await namespaceObjects()).toEqual(before);
  });

  const raw = async (init: { body?: string; headers?: Record<string, string>; method?: string; path?: string }) => {
    const response = await fetch(`${server.url}${init.path ?? '/api/cluster'}`, {
      method: init.method ?? 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json', ...init.headers },
      body: init.body,
    });
    return { status: response.status, body: (await response.json()) as { message?: string; status?: string } };
  };

  test('malformed JSON: 400 saying so', async () => {
    const answer = await raw({ body: '{"cluster": {' });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/not valid JSON/);
  });

  test.each([
    ['GET', '/api/cluster/Global_1/progress'],
    ['POST', '/api/cluster/global.1/retry'],
    ['DELETE', `/api/cluster/${'x'.repeat(64)}/thanos`],
  ])('%s %s: 400 saying what is wrong with the cluster name in the path', async (method, path) => {
    const answer = await raw({ method, path, ...(method !== 'GET' && { body: '{}' }) });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('the cluster name in the path must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters');
  });

  test('an oversized body: 413', async () => {
    const answer = await raw({ body: JSON.stringify({ cluster: {}, config: { pad: 'x'.repeat(2 * 1024 * 1024) } }) });
    expect(answer.status).toBe(413);
    expect(answer.body.message).toMatch(/larger than 1048576 bytes/);
  });

  test('not JSON at all: 415', async () => {
    const answer = await raw({ body: 'cluster=global', headers: { 'content-type': 'text/plain' } });
    expect(answer.status).toBe(415);
  });

  test.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer wrong-token-wrong-token' }],
    ['a token of another scheme', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
  ])('%s: 401', async (_name, headers) => {
    const response = await fetch(`${server.url}/api/cluster`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(requestFor('unauthorized', 32121)),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });

  test('an unknown cluster: progress 404 Unknown, retry and rollback 409', async () => {
    const progress = await server.api.progress('no-such-cluster');
    expect(progress.httpStatus).toBe(404);
    expect(progress.body.status).toBe('Unknown');
    expect((await server.api.retry('no-such-cluster')).httpStatus).toBe(409);
    expect((await server.api.rollback('no-such-cluster')).httpStatus).toBe(409);
  });
});

describe('service endpoints', () => {
  let server: RunningApi;
  beforeAll(async () => {
    server = await startApi(coordinates, env, 'tke');
  });
  afterAll(async () => server?.app.close());

  test('health needs no token; readiness checks Temporal', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ok' });
  });

  test('the OpenAPI document describes the routes and the request schema, behind the token', async () => {
    expect((await fetch(`${server.url}/openapi.json`)).status).toBe(401);
    const doc = (await (await fetch(`${server.url}/openapi.json`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/cluster', '/api/cluster/{name}/progress', '/api/cluster/{name}/retry', '/api/cluster/{name}/rollback', '/api/cluster/{name}/thanos',
      '/api/cluster/{name}/verify',
    ]);
    expect(JSON.stringify(doc.paths['/api/cluster']?.post?.requestBody)).toContain('bucketConfig');
  });

  test('the API logs one line per request, when it is answered: method, URL, status and time, never the token', async () => {
    const lines: string[] = [];
    const logged = await startApi(coordinates, env, 'tke', { logLevel: 'info', logStream: { write: (line) => lines.push(line) } });
    try {
      const auth = { authorization: `Bearer ${logged.token}` };
      await fetch(`${logged.url}/api/cluster/no-such-cluster/progress`, { headers: auth });
      await fetch(`${logged.url}/api/cluster`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
      await fetch(`${logged.url}/healthz`);
    } finally {
      await logged.app.close();
    }
    const perRequest = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.reqId !== undefined);
    expect(perRequest.map(({ msg, method, url, statusCode }) => ({ msg, method, url, statusCode }))).toEqual([
      { msg: 'answered', method: 'GET', url: '/api/cluster/no-such-cluster/progress', statusCode: 404 },
      { msg: 'answered', method: 'POST', url: '/api/cluster', statusCode: 400 },
      { msg: 'answered', method: 'GET', url: '/healthz', statusCode: 200 },
    ]);
    for (const line of perRequest) expect(line.responseTime).toEqual(expect.any(Number));
    expect(lines.join('')).not.toContain(logged.token);
  });

  test('Prometheus metrics count requests by route and status', async () => {
    await fetch(`${server.url}/healthz`);
    const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.token}` } })).text();
    expect(text).toMatch(/thanos_installer_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(text).toContain('process_resident_memory_bytes');
  });
});
