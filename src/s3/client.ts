import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { signV2, signV4, type Credentials, type S3Request } from './signing';

/** The S3 options Thanos's objstore uses that decide how requests are made. */
export interface S3ClientOptions {
  endpoint: string; // host[:port]
  bucket: string;
  credentials?: Credentials;
  region?: string;
  /** Plain HTTP instead of HTTPS (Thanos's `insecure`). */
  insecure?: boolean;
  signatureVersion2?: boolean;
  bucketLookupType?: 'auto' | 'path' | 'virtual-hosted';
  insecureSkipVerify?: boolean;
  listObjectsVersion?: 'v1' | 'v2';
  timeoutMs?: number;
}

/** Why an S3 call failed, in the terms an operator acts on. */
export type S3FailureKind = 'unreachable' | 'not-https' | 'untrusted-certificate' | 'credentials' | 'no-such-bucket' | 'access-denied' | 'other';

export class S3Error extends Error {
  constructor(
    readonly kind: S3FailureKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'S3Error';
  }
}

/**
 * Node's codes for a certificate it does not trust: one nobody it knows
 * signed, out of date, or for another host. Thanos checks it against its
 * image's CA bundle the same way, so it would be refused there too.
 */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED',
  'CERT_REJECTED', 'INVALID_CA', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A request that got no HTTP answer. A refused or dropped connection may pass
 * (a server restarting, a network blip); a TLS handshake that fails does not
 * until the operator changes the endpoint or the bucket config, so it says
 * which field to change.
 */
function noAnswer(err: NodeJS.ErrnoException, target: string): S3Error {
  const code = err.code ?? 'NetworkError';
  if (UNTRUSTED_CERTIFICATE_CODES.has(code)) {
    return new S3Error('untrusted-certificate', code, `the S3 endpoint ${target} presented a certificate that is not trusted (${code}: ${err.message}); ` +
      'Thanos would refuse it too: give the endpoint a certificate from a public CA for the host in bucketConfig.config.endpoint, ' +
      'or set bucketConfig.config.http_config.insecure_skip_verify: true');
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) {
    // OpenSSL's reason ("wrong version number" when the server speaks plain HTTP), without its internals.
    const reason = /SSL routines:[^:]*:([^:]+)/.exec(err.message)?.[1] ?? err.message;
    return new S3Error('not-https', code, `the S3 endpoint ${target} did not answer the TLS handshake (${reason}); ` +
      'if it serves plain HTTP, set bucketConfig.config.insecure: true');
  }
  return new S3Error('unreachable', code, `cannot reach the S3 endpoint ${target}: ${err.message}`);
}

const CREDENTIAL_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken']);

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function xmlText(raw: string): string {
  return raw.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => XML_ENTITIES[name] ?? '');
}

function xmlValue(xml: string, tag: string): string | undefined {
  const raw = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
  return raw === undefined ? undefined : xmlText(raw);
}

/** Hosts whose S3 API addresses buckets by sub-domain when lookup is `auto`. */
function prefersVirtualHost(endpoint: string): boolean {
  const host = endpoint.split(':')[0] ?? '';
  return /(^|\.)amazonaws\.com(\.cn)?$/.test(host) || /(^|\.)aliyuncs\.com$/.test(host);
}

/**
 * A small S3 client that signs with V2 or V4 and addresses buckets by path or
 * virtual host exactly as configured, so that a bucket check exercises the
 * same request shape Thanos will use.
 */
export class S3Client {
  constructor(private readonly options: S3ClientOptions) {}

  private virtualHosted(): boolean {
    const lookup = this.options.bucketLookupType ?? 'auto';
    return lookup === 'virtual-hosted' || (lookup === 'auto' && prefersVirtualHost(this.options.endpoint));
  }

  /** How buckets are addressed: in the path, or as a sub-domain of the endpoint. */
  addressing(): 'path' | 'virtual-hosted' {
    return this.virtualHosted() ? 'virtual-hosted' : 'path';
  }

  private async send(
    method: S3Request['method'],
    key: string,
    query: Record<string, string> = {},
    body: Buffer = Buffer.alloc(0),
  ): Promise<{ status: number; body: Buffer }> {
    const { endpoint, bucket } = this.options;
    const encodedKey = key.split('/').map(encodeURIComponent).join('/');
    const virtual = this.virtualHosted();
    const host = virtual ? `${bucket}.${endpoint}` : endpoint;
    const path = virtual ? `/${encodedKey}` : `/${bucket}/${encodedKey}`;
    let req: S3Request = {
      method,
      protocol: this.options.insecure ? 'http:' : 'https:',
      host,
      path,
      query,
      resource: { bucket, key },
      headers: { 'content-length': String(body.length) },
      body,
    };
    if (this.options.credentials) {
      req = this.options.signatureVersion2
        ? signV2(req, this.options.credentials)
        : await signV4(req, this.options.credentials, this.options.region || 'us-east-1');
    }
    return this.transmit(req);
  }

  private transmit(req: S3Request): Promise<{ status: number; body: Buffer }> {
    const search = new URLSearchParams(req.query).toString();
    const [hostname, port] = req.host.split(':');
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const target = `${req.protocol}//${req.host}`;
    return new Promise((resolve, reject) => {
      const send = req.protocol === 'https:' ? httpsRequest : httpRequest;
      const r = send(
        {
          method: req.method,
          hostname,
          port: port ? Number(port) : undefined,
          path: search ? `${req.path}?${search}` : req.path,
          headers: { ...req.headers, host: req.host },
          rejectUnauthorized: !this.options.insecureSkipVerify,
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
      r.on('error', (err: NodeJS.ErrnoException) => reject(noAnswer(err, target)));
      r.end(req.body);
    });
  }

  private fail(what: string, res: { status: number; body: Buffer }): never {
    const xml = res.body.toString('utf8');
    const code = xmlValue(xml, 'Code') ?? `HTTP${res.status}`;
    const detail = xmlValue(xml, 'Message') ?? `HTTP status ${res.status}`;
    const { bucket, endpoint } = this.options;
    if (CREDENTIAL_CODES.has(code)) {
      throw new S3Error('credentials', code, `${what}: the S3 endpoint ${endpoint} rejected the access key or secret key (${code}: ${detail})`);
    }
    if (code === 'NoSuchBucket') {
      throw new S3Error('no-such-bucket', code, `${what}: bucket '${bucket}' does not exist at ${endpoint}`);
    }
    if (code === 'AccessDenied' || res.status === 403) {
      throw new S3Error('access-denied', code, `${what}: access to bucket '${bucket}' at ${endpoint} was denied (${code}: ${detail})`);
    }
    throw new S3Error('other', code, `${what}: ${code}: ${detail}`);
  }

  async createBucket(): Promise<void> {
    const res = await this.send('PUT', '');
    if (res.status !== 200 && !res.body.toString('utf8').includes('BucketAlreadyOwnedByYou')) this.fail('create bucket', res);
  }

  async listObjects(prefix = '', maxKeys = 10): Promise<string[]> {
    const query: Record<string, string> =
      this.options.listObjectsVersion === 'v1'
        ? { 'max-keys': String(maxKeys), prefix }
        : { 'list-type': '2', 'max-keys': String(maxKeys), prefix };
    const res = await this.send('GET', '', query);
    if (res.status !== 200) this.fail('list bucket', res);
    return [...res.body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => xmlText(m[1] as string));
  }

  async putObject(key: string, body: Buffer): Promise<void> {
    const res = await this.send('PUT', key, {}, body);
    if (res.status !== 200) this.fail(`write object '${key}'`, res);
  }

  async getObject(key: string): Promise<Buffer> {
    const res = await this.send('GET', key);
    if (res.status !== 200) this.fail(`read object '${key}'`, res);
    return res.body;
  }

  async deleteObject(key: string): Promise<void> {
    const res = await this.send('DELETE', key);
    if (res.status !== 204 && res.status !== 200) this.fail(`delete object '${key}'`, res);
  }
}
