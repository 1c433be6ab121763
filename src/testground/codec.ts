/**
 * The Web UI's codec endpoint on the test ground, as an operator would run
 * it: HTTPS (the Web UI passes a user's access token to an https endpoint
 * only), a static token for scripts, and a stand-in identity provider whose
 * access tokens it accepts, as a site's OIDC provider's would be.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { RemoteKeySetVerifier } from '../codec/access-token';
import { AesGcmPayloadCodec } from '../codec/codec';
import { buildCodecServer, CODEC_PATH } from '../codec/endpoint';
import { DEFAULT_KEY_ID, singleKey } from '../codec/key';
import { selfSignedServingCertificate } from './pki';

/** The stand-in identity provider: where its keys are published, and what its tokens say. */
export interface IdentityCoordinates {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** Its signing key (PEM), so that tests mint access tokens as it would. */
  signingKeyFile: string;
  keyId: string;
}

export interface CodecEndpointCoordinates {
  /** Where the Web UI sends payloads: `<endpoint>/decode`, `<endpoint>/encode`. */
  endpoint: string;
  /** Its self-signed certificate (PEM file), which clients trust by this file or by its public key's hash. */
  certFile: string;
  /** The payload key (base64) the worker, the API and the endpoint share, under the id DEFAULT_KEY_ID. */
  key: string;
  /** The static token scripts send. */
  token: string;
  identity: IdentityCoordinates;
}

/** An operator's access token from the stand-in identity provider, valid for an hour unless `claims` say otherwise. */
export function mintAccessToken(identity: IdentityCoordinates, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${encode({ alg: 'ES256', typ: 'JWT', kid: identity.keyId })}.${encode({
    iss: identity.issuer, aud: identity.audience, sub: 'operator@testground', iat: now, exp: now + 3600, ...claims,
  })}`;
  const signature = sign('sha256', Buffer.from(signed), { key: readFileSync(identity.signingKeyFile), dsaEncoding: 'ieee-p1363' });
  return `${signed}.${signature.toString('base64url')}`;
}

/** The base64 SHA-256 of a certificate's public key, as Chromium's --ignore-certificate-errors-spki-list takes it. */
export function publicKeyHash(certFile: string): string {
  const der = new X509Certificate(readFileSync(certFile)).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** Where the test ground's codec endpoint on `port` serves the Web UI. */
export const codecEndpointOn = (port: number): string => `https://127.0.0.1:${port}${CODEC_PATH}`;

async function listen(server: Server, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

/** Starts the identity provider's key set and the codec endpoint on the given loopback ports. */
export async function startCodecEndpoint(
  runDir: string,
  ports: { codec: number; identity: number },
  uiOrigin: string,
): Promise<{ coordinates: CodecEndpointCoordinates; stop(): Promise<void> }> {
  const dir = join(runDir, 'codec');
  mkdirSync(dir, { recursive: true });
  const identityUrl = `http://127.0.0.1:${ports.identity}`;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyId = randomBytes(8).toString('hex');
  const identity: IdentityCoordinates = {
    jwksUrl: `${identityUrl}/jwks.json`,
    issuer: identityUrl,
    audience: 'temporal-web-ui',
    signingKeyFile: join(dir, 'identity.key'),
    keyId,
  };
  writeFileSync(identity.signingKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: keyId, use: 'sig', alg: 'ES256' }] });
  const identityServer = createServer((request, response) => {
    const found = request.url === '/jwks.json';
    response.writeHead(found ? 200 : 404, { 'content-type': 'application/json' }).end(found ? jwks : '{}');
  });
  await listen(identityServer, ports.identity);

  const certificate = await selfSignedServingCertificate(dir, 'codec-endpoint', ['127.0.0.1']);
  const key = randomBytes(32);
  const token = randomBytes(24).toString('hex');
  const server = await buildCodecServer({
    codec: new AesGcmPayloadCodec(singleKey({ id: DEFAULT_KEY_ID, key })),
    access: { token, accessTokens: new RemoteKeySetVerifier(identity.jwksUrl, identity) },
    uiOrigins: [uiOrigin],
    tls: { cert: readFileSync(certificate.cert), key: readFileSync(certificate.key) },
  });
  const stop = async () => {
    await server.close();
    await new Promise<void>((resolve) => identityServer.close(() => resolve()));
  };
  await server.listen({ host: '127.0.0.1', port: ports.codec }).catch(async (err: Error) => {
    await stop();
    throw new Error(`the codec endpoint did not start on 127.0.0.1:${ports.codec}: ${err.message}`);
  });
  return {
    coordinates: { endpoint: codecEndpointOn(ports.codec), certFile: certificate.cert, key: key.toString('base64'), token, identity },
    stop,
  };
}
