/**
 * The Web UI's codec endpoint, on a loopback port of this process: who may
 * call it, from which origins, and what it shows (never a credential) and
 * accepts.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { verifyAccessToken } from '../../src/codec/access-token';
import { AesGcmPayloadCodec } from '../../src/codec/codec';
import { buildCodecServer } from '../../src/codec/endpoint';
import { singleKey } from '../../src/codec/key';
import { maskPayloads } from '../../src/codec/mask';
import { BucketConfigSchema } from '../../src/request/objstore';
import { MASKED, maskSecrets } from '../../src/request/secrets';
import { OBJSTORE_CORPUS, PROVIDERS } from '../fixtures/objstore-corpus';

const UI = 'http://127.0.0.1:8233';
const TOKEN = randomBytes(24).toString('hex');
const codec = new AesGcmPayloadCodec(singleKey({ id: 'k1', key: randomBytes(32) }));
const identity = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwks = [{ ...identity.publicKey.export({ format: 'jwk' }), kid: 'idp-1' }];
const accessToken = (claims: object): string => {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${b64({ alg: 'ES256', kid: 'idp-1' })}.${b64(claims)}`;
  return `${signed}.${sign('sha256', Buffer.from(signed), { key: identity.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
};
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

let app: FastifyInstance;
let url: string;
beforeAll(async () => {
  app = await buildCodecServer({
    codec,
    access: { token: TOKEN, accessTokens: { verify: async (t) => verifyAccessToken(t, jwks, { audience: 'temporal-web-ui' }) } },
    uiOrigins: [UI],
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => app.close());

const SECRET = 'wJalrXUtnFEMI-not-a-real-secret';
const ACCESS = 'AKIA-not-a-real-key';
const install = {
  clusterName: 'global',
  settings: { bucketConfig: { type: 'S3', config: { bucket: 'thanos', endpoint: '127.0.0.1:9000', access_key: ACCESS, secret_key: SECRET } }, replicas: 1 },
};

/** A payload as the Web UI sends it: protobuf JSON, bytes in base64. */
const asJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const fromJson = (p: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});

async function post(path: string, values: Payload[], headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  const response = await fetch(`${url}/codec/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ payloads: values.map(asJson) }),
  });
  const body = (await response.json()) as { payloads?: { metadata: Record<string, string>; data: string }[]; message?: string };
  return { status: response.status, headers: response.headers, body };
}

describe('who may call it', () => {
  test('without a bearer token, with a wrong one or an invalid access token: 401 and no payload', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(install)]);
    const refusals: [Record<string, string>, RegExp][] = [
      [{}, /an Authorization: Bearer token is required/],
      [{ authorization: TOKEN }, /an Authorization: Bearer token is required/],
      [{ authorization: `Bearer ${TOKEN.slice(1)}x` }, /the access token is not valid: the token is not a signed JWT/],
      [{ authorization: `Bearer ${accessToken({ aud: 'temporal-web-ui', exp: inAnHour() - 7200 })}` }, /the access token is not valid: the token has expired/],
      [{ authorization: `Bearer ${accessToken({ aud: 'another-app', exp: inAnHour() })}` }, /not meant for 'temporal-web-ui'/],
    ];
    for (const [headers, reason] of refusals) {
      for (const path of ['decode', 'encode']) {
        const answer = await post(path, [encrypted!], headers);
        expect({ status: answer.status, payloads: answer.body.payloads }).toEqual({ status: 401, payloads: undefined });
        expect(answer.body.message).toMatch(reason);
        expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
  });

  test('the static token and a signed-in user\'s access token are accepted', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(install)]);
    for (const bearer of [TOKEN, accessToken({ aud: 'temporal-web-ui', exp: inAnHour(), sub: 'operator' })]) {
      expect((await post('decode', [encrypted!], { authorization: `Bearer ${bearer}` })).status).toBe(200);
    }
  });

  test('CORS allows the configured Web UI origin only', async () => {
    const preflight = (origin: string) => fetch(`${url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
    });
    const allowed = await preflight(UI);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(UI);
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const elsewhere = 'http://127.0.0.2:8233';
    expect((await preflight(elsewhere)).headers.get('access-control-allow-origin')).toBeNull();
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(install)]);
    const answer = await post('decode', [encrypted!], { authorization: `Bearer ${TOKEN}`, origin: elsewhere });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('what /decode shows', () => {
  test('the payload decoded, with secret and access keys masked and everything else as it is', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(install)]);
    const answer = await post('decode', [encrypted!]);
    expect(answer.status).toBe(200);
    const shown = defaultPayloadConverter.fromPayload(fromJson(answer.body.payloads![0]!));
    expect(shown).toEqual({
      ...install,
      settings: { ...install.settings, bucketConfig: { type: 'S3', config: { bucket: 'thanos', endpoint: '127.0.0.1:9000', access_key: MASKED, secret_key: MASKED } } },
    });
  });

  test('every value `render` masks, for every config of every provider the validator accepts, wherever it sits in a payload', () => {
    type Json = Record<string, unknown>;
    /** The paths of the values maskSecrets replaces: the request schema's writeOnly fields. */
    const secretPaths = (original: unknown, masked: unknown, at: string[] = []): string[][] =>
      original !== null && typeof original === 'object'
        ? Object.entries(original).flatMap(([k, v]) => secretPaths(v, (masked as Json)[k], [...at, k]))
        : original !== masked ? [at] : [];
    const valueAt = (value: unknown, path: string[]): unknown => path.reduce<unknown>((node, k) => (node as Json | undefined)?.[k], value);
    // Shapes the installer's payloads have: the workflow input, a retry's arguments, an activity's arguments.
    const shapes: [(bucketConfig: unknown) => unknown, string[]][] = [
      [(bucketConfig) => ({ clusterName: 'global', settings: { bucketConfig } }), ['settings', 'bucketConfig']],
      [(bucketConfig) => ({ settings: { bucketConfig } }), ['settings', 'bucketConfig']],
      [(bucketConfig) => [{ bucketConfig }, 'receive'], ['0', 'bucketConfig']],
    ];
    const accepted = OBJSTORE_CORPUS.filter((c) => c.validator === 'accept');
    const checked = new Set<string>();
    for (const { name, provider, bucketConfig } of accepted) {
      const paths = secretPaths(bucketConfig, maskSecrets(BucketConfigSchema, bucketConfig));
      for (const [shape, at] of shapes) {
        const [shown] = maskPayloads([defaultPayloadConverter.toPayload(shape(bucketConfig))]);
        const shownConfig = valueAt(defaultPayloadConverter.fromPayload(shown!), at);
        for (const path of paths) expect({ name, path, shown: valueAt(shownConfig, path) }).toEqual({ name, path, shown: MASKED });
        if (paths.length > 0) checked.add(provider);
      }
    }
    // The check is real: every provider with credentials had some masked.
    expect([...checked].sort()).toEqual(PROVIDERS.filter((p) => p !== 'FILESYSTEM').sort());
  });

  test('a payload of any encoding but JSON is withheld, saying so', () => {
    const [shown] = maskPayloads([defaultPayloadConverter.toPayload(Buffer.from(SECRET))]);
    expect(defaultPayloadConverter.fromPayload(shown!)).toMatch(/a payload of encoding 'binary\/plain', not shown/);
  });

  test('a payload of a key the endpoint lacks is refused naming the key id', async () => {
    const [other] = await new AesGcmPayloadCodec(singleKey({ id: 'retired-2025', key: randomBytes(32) })).encode([defaultPayloadConverter.toPayload(install)]);
    const answer = await post('decode', [other!]);
    expect(answer.status).toBe(500);
    expect(answer.body.message).toMatch(/encrypted with the key 'retired-2025', which this process does not have \(it has k1\)/);
  });
});

describe('what /encode accepts', () => {
  test('a masked credential sent back is refused naming the field; a real value is encrypted for the worker', async () => {
    const masked = { ...install, settings: { ...install.settings, bucketConfig: { type: 'S3', config: { ...install.settings.bucketConfig.config, secret_key: MASKED } } } };
    const refused = await post('encode', [defaultPayloadConverter.toPayload(masked)]);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe(`payloads[0]: settings.bucketConfig.config.secret_key: holds the mask ${MASKED}, not a credential; give the real value (or leave the field out)`);
    const accepted = await post('encode', [defaultPayloadConverter.toPayload(install)]);
    expect(accepted.status).toBe(200);
    const [decoded] = await codec.decode([fromJson(accepted.body.payloads![0]!)]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(install);
  });
});
