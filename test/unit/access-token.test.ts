import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { verifyAccessToken, type Jwk } from '../../src/codec/access-token';

const now = Math.floor(Date.now() / 1000);
const expect_ = { issuer: 'https://idp.example', audience: 'temporal-web-ui' };
const claims = { iss: expect_.issuer, aud: expect_.audience, sub: 'operator', exp: now + 600 };
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwkOf = (key: KeyObject, kid: string): Jwk => ({ ...key.export({ format: 'jwk' }), kid });
const keys = [jwkOf(ec.publicKey, 'ec-1'), jwkOf(rsa.publicKey, 'rsa-1')];

function token(alg: string, kid: string, body: object, key: KeyObject = alg.startsWith('E') ? ec.privateKey : rsa.privateKey): string {
  const signed = `${b64({ alg, kid, typ: 'JWT' })}.${b64(body)}`;
  const options = alg.startsWith('E') ? { dsaEncoding: 'ieee-p1363' as const } : alg.startsWith('P') ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : {};
  return `${signed}.${sign('sha256', Buffer.from(signed), { key, ...options }).toString('base64url')}`;
}

test('tokens signed by the identity provider\'s keys verify, with their claims', () => {
  for (const [alg, kid] of [['ES256', 'ec-1'], ['RS256', 'rsa-1'], ['PS256', 'rsa-1']] as const) {
    expect(verifyAccessToken(token(alg, kid, claims), keys, expect_)).toMatchObject({ sub: 'operator' });
  }
});

test('every other token is refused, saying why', () => {
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signed = token('ES256', 'ec-1', claims);
  const [header, body] = signed.split('.');
  const forgedBody = `${header}.${b64({ ...claims, sub: 'admin' })}.${signed.split('.')[2]}`;
  // HS256 with the public key as the secret: the classic algorithm confusion.
  const hsInput = `${b64({ alg: 'HS256', kid: 'rsa-1' })}.${body}`;
  const confused = `${hsInput}.${createHmac('sha256', rsa.publicKey.export({ type: 'spki', format: 'pem' })).update(hsInput).digest('base64url')}`;
  const cases: [string, RegExp][] = [
    [token('ES256', 'ec-1', claims, other.privateKey), /signature does not verify/],
    [forgedBody, /signature does not verify/],
    [`${b64({ alg: 'none' })}.${body}.`, /algorithm 'none' is not accepted/],
    [confused, /algorithm 'HS256' is not accepted/],
    [token('ES256', 'rsa-1', claims), /no key of the identity provider matches the token \(kid 'rsa-1', ES256\)/],
    [token('ES256', 'unknown', claims), /no key .* matches/],
    [token('ES256', 'ec-1', { ...claims, exp: now - 120 }), /has expired/],
    [token('ES256', 'ec-1', { ...claims, exp: undefined }), /no expiry/],
    [token('ES256', 'ec-1', { ...claims, nbf: now + 600 }), /not valid yet/],
    [token('ES256', 'ec-1', { ...claims, iss: 'https://elsewhere.example' }), /issued by 'https:\/\/elsewhere.example', not 'https:\/\/idp.example'/],
    [token('ES256', 'ec-1', { ...claims, aud: ['another-app'] }), /not meant for 'temporal-web-ui'/],
    ['not-a-jwt', /not a signed JWT/],
    ['a.b.c', /header is not a JSON object/],
  ];
  for (const [t, reason] of cases) expect(() => verifyAccessToken(t, keys, expect_)).toThrow(reason);
});

test('without an expected issuer or audience, any token of the provider\'s keys within its lifetime is accepted', () => {
  expect(verifyAccessToken(token('ES256', 'ec-1', { exp: now + 60 }), keys, {})).toEqual({ exp: now + 60 });
});
