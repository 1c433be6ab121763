/**
 * A bucket endpoint whose TLS handshake fails is named as such, with the
 * field that fixes it, instead of being called unreachable: retrying cannot
 * help until the operator changes the bucket config.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, S3Error } from '../../src/s3/client';

/** Answers every request as S3 does for a bucket that does not exist: proof that the request got through. */
const noSuchBucket = (_req: unknown, res: import('node:http').ServerResponse): void => {
  res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>');
};

let selfSigned: Server;
let plainHttp: Server;
const dir = mkdtempSync(join(tmpdir(), 's3-tls-'));

async function listening(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What listing the bucket at an endpoint fails with. */
async function listFails(endpoint: string, options: { insecureSkipVerify?: boolean; insecure?: boolean } = {}): Promise<S3Error> {
  const error = await new S3Client({ endpoint, bucket: 'thanos', timeoutMs: 5_000, ...options }).listObjects().catch((err: unknown) => err);
  expect(error).toBeInstanceOf(S3Error);
  return error as S3Error;
}

beforeAll(() => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  selfSigned = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, noSuchBucket);
  plainHttp = createHttpServer(noSuchBucket);
});

afterAll(async () => {
  await Promise.all([selfSigned, plainHttp].map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

test('a certificate nobody trusted signed fails as untrusted, naming insecure_skip_verify; with it set the request gets through', async () => {
  const endpoint = await listening(selfSigned);
  const refused = await listFails(endpoint);
  expect(refused.kind).toBe('untrusted-certificate');
  expect(refused.message).toMatch(new RegExp(`^the S3 endpoint https://${endpoint} presented a certificate that is not trusted \\(DEPTH_ZERO_SELF_SIGNED_CERT`));
  expect(refused.message).toContain('set bucketConfig.config.http_config.insecure_skip_verify: true');
  expect((await listFails(endpoint, { insecureSkipVerify: true })).kind).toBe('no-such-bucket');
});

test('an endpoint that speaks plain HTTP, asked for HTTPS, fails as not HTTPS, naming insecure; with it set the request gets through', async () => {
  const endpoint = await listening(plainHttp);
  const refused = await listFails(endpoint);
  expect(refused.kind).toBe('not-https');
  expect(refused.message).toContain(`the S3 endpoint https://${endpoint} did not answer the TLS handshake (wrong version number)`);
  expect(refused.message).toContain('set bucketConfig.config.insecure: true');
  expect((await listFails(endpoint, { insecure: true })).kind).toBe('no-such-bucket');
});

test('a port nobody listens on is still unreachable, which the step tries again', async () => {
  const closed = createHttpServer();
  const endpoint = await listening(closed);
  await new Promise((resolve) => closed.close(resolve));
  const refused = await listFails(endpoint);
  expect([refused.kind, refused.code]).toEqual(['unreachable', 'ECONNREFUSED']);
});
