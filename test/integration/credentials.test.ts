/**
 * Credentials stay secret end to end. An install whose bucket refuses the
 * key, retried through the API with the right one: Temporal's raw history
 * holds every payload encrypted and every failure message and stack trace
 * encoded into them, while the worker, the API and the progress query read
 * them in full; the Web UI's codec endpoint decodes the history for holders
 * of its token or of an operator's access token only, and never shows a
 * credential.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { temporal } from '@temporalio/proto';
import { AesGcmPayloadCodec } from '../../src/codec/codec';
import { MASKED } from '../../src/request/secrets';
import { mintAccessToken } from '../../src/testground/codec';
import { codecKeysOf } from '../../src/testground/coordinates';
import { workflowIdFor } from '../../src/workflows/contracts';
import { startApi, type RunningApi } from '../support/api';
import { callCodec, payloadsIn } from '../support/codec';
import { seedRequest, startWorkerAndClient, tkeNamespace, type RunningWorker } from '../support/install';
import { testGround } from '../support/testground';

jest.setTimeout(180_000);

const { coordinates, kc } = testGround();
const WRONG_SECRET = 'not-the-minio-secret-2';
const BUCKET_ERROR = 'rejected the access key or secret key';
const cluster = `secret-${Date.now().toString(36)}`;
let env: RunningWorker;
let server: RunningApi;
let history: temporal.api.history.v1.IHistory;
let progressData = '';
let namespace: string;

beforeAll(async () => {
  env = await startWorkerAndClient(coordinates, 'credentials');
  namespace = await tkeNamespace(kc, 'secret');
  server = await startApi(coordinates, env, namespace);
  const request = (secretKey: string) => seedRequest(coordinates, (r) => {
    r.cluster.metadata = { name: cluster };
    r.config.monitor.thanos.bucketConfig.config.secret_key = secretKey;
    r.config.monitor.thanos.nodePorts = { receiveGrpc: 32061, receiveHttp: 32062, receiveRemoteWrite: 32063 };
  });
  expect((await server.api.install(request(WRONG_SECRET))).httpStatus).toBe(202);
  const follow = async (done: (status: string) => boolean) => {
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      const { body } = await server.api.progress(cluster);
      if (done(body.status)) return body;
    }
    throw new Error(`${cluster} never reached the expected status`);
  };
  progressData = (await follow((s) => s === 'Failed')).data;
  expect((await server.api.retry(cluster, request(coordinates.s3.secretKey).config.monitor.thanos)).httpStatus).toBe(200);
  expect((await follow((s) => s === 'Success' || s === 'Failed')).status).toBe('Success');
  history = await env.client.workflow.getHandle(workflowIdFor(cluster)).fetchHistory();
});
afterAll(async () => {
  await server?.app.close();
  await env?.stop();
  // Frees the install's NodePorts for a later run on the same test ground.
  if (namespace) await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace });
});

/** Search attributes (cluster name and phase, which the server indexes) and patch markers (a patch id, written by the SDK outside the codec) stay plain. */
const historyPayloads = () => payloadsIn(history, (key) => key === 'searchAttributes' || key === 'patch-data');
const text = (bytes: (Uint8Array | null | undefined)[]) => bytes.map((b) => Buffer.from(b ?? []).toString('latin1')).join('\n');
/** Each credential as it could appear: itself and in base64. */
const credentials = () => [WRONG_SECRET, coordinates.s3.secretKey].flatMap((s) => [s, Buffer.from(s).toString('base64')]);

/** Every failure in the history written by the SDK (the server's own, such as timeouts, carry no payload data). */
function sdkFailures(value: unknown): temporal.api.failure.v1.IFailure[] {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return [];
  const record = value as Record<string, unknown>;
  const own = typeof record.message === 'string' && Object.keys(record).some((k) => k.endsWith('FailureInfo')) && record.source === 'TypeScriptSDK'
    ? [record as temporal.api.failure.v1.IFailure] : [];
  return [...own, ...Object.values(record).flatMap(sdkFailures)];
}

test('every payload in the raw history is encrypted, failure messages and stack traces included; decoded, they hold what the install ran with', async () => {
  const payloads = historyPayloads();
  const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  expect(payloads).toContain(input);
  expect(new Set(payloads.map((p) => Buffer.from(p.metadata?.encoding ?? []).toString()))).toEqual(new Set(['binary/encrypted']));

  // The bucket's refusal failed an activity: its message and stack trace went into an encrypted payload.
  const failures = sdkFailures(history);
  expect(failures.length).toBeGreaterThan(0);
  for (const failure of failures) {
    expect({ message: failure.message, stackTrace: failure.stackTrace }).toEqual({ message: 'Encoded failure', stackTrace: '' });
    expect(payloads).toContain(failure.encodedAttributes);
  }
  const raw = text(payloads.flatMap((p) => [p.data, ...Object.values(p.metadata ?? {})]));
  for (const hidden of [...credentials(), BUCKET_ERROR]) expect({ hidden, found: raw.includes(hidden) }).toEqual({ hidden, found: false });

  // The search is real: decoded as the worker and the API decode, the history holds the secrets and the message.
  const decoded = text((await new AesGcmPayloadCodec(codecKeysOf(coordinates)).decode(payloads)).map((p) => p.data));
  for (const held of [WRONG_SECRET, coordinates.s3.secretKey, BUCKET_ERROR]) expect(decoded).toContain(held);
  // And the progress the API answered with while the install waited named the cause, decoded.
  expect(progressData).toMatch(new RegExp(`\\[!\\] Check the object storage bucket: .*${BUCKET_ERROR}`));
});

test('the codec endpoint decodes the whole history for the static token and for an operator\'s access token, never showing a credential', async () => {
  const payloads = historyPayloads();
  for (const bearer of [coordinates.codec.token, mintAccessToken(coordinates.codec.identity)]) {
    const answer = await callCodec(coordinates, 'POST', 'decode', { authorization: `Bearer ${bearer}` }, payloads);
    expect(answer.status).toBe(200);
    expect(answer.body.payloads).toHaveLength(payloads.length);
    const shown = (answer.body.payloads ?? []).map((p) => Buffer.from(p.data, 'base64').toString('utf8')).join('\n');
    // What the Web UI shows: the install, the failure's message, the credentials' places masked.
    for (const seen of [cluster, BUCKET_ERROR, `"secret_key":"${MASKED}"`, `"access_key":"${MASKED}"`]) expect(shown).toContain(seen);
    for (const hidden of [...credentials(), coordinates.s3.accessKey]) expect({ hidden, shown: shown.includes(hidden) }).toEqual({ hidden, shown: false });
  }
});

test('without valid credentials the codec endpoint answers 401 and no payload', async () => {
  const payloads = historyPayloads().slice(0, 1);
  const otherIssuer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const otherKeyFile = join(coordinates.runDir, 'codec', 'not-the-identity.key');
  writeFileSync(otherKeyFile, otherIssuer.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const refusals: [Record<string, string>, RegExp][] = [
    [{}, /Bearer token is required/],
    [{ authorization: `Bearer ${coordinates.codec.token.replace(/.$/, (c) => (c === '0' ? '1' : '0'))}` }, /not valid/],
    [{ authorization: `Bearer ${mintAccessToken({ ...coordinates.codec.identity, signingKeyFile: otherKeyFile })}` }, /signature does not verify/],
    [{ authorization: `Bearer ${mintAccessToken(coordinates.codec.identity, { exp: Math.floor(Date.now() / 1000) - 120 })}` }, /expired/],
    [{ authorization: `Bearer ${mintAccessToken(coordinates.codec.identity, { aud: 'another-app' })}` }, /not meant for/],
  ];
  for (const [headers, reason] of refusals) {
    for (const path of ['decode', 'encode'] as const) {
      const answer = await callCodec(coordinates, 'POST', path, headers, payloads);
      expect({ status: answer.status, payloads: answer.body.payloads }).toEqual({ status: 401, payloads: undefined });
      expect(answer.body.message).toMatch(reason);
    }
  }
});

test('the codec endpoint lets the Web UI\'s origin call it from the browser, and no other', async () => {
  const preflight = (origin: string) => callCodec(coordinates, 'OPTIONS', 'decode', {
    origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace',
  });
  expect((await preflight(coordinates.temporal.uiUrl)).headers['access-control-allow-origin']).toBe(coordinates.temporal.uiUrl);
  expect((await preflight('http://127.0.0.2:8233')).headers['access-control-allow-origin']).toBeUndefined();
});
