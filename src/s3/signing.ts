import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';

/** One HTTP request to an S3 endpoint, before signing. */
export interface S3Request {
  method: 'GET' | 'PUT' | 'DELETE' | 'HEAD';
  protocol: 'http:' | 'https:';
  host: string; // host[:port] as sent in the Host header
  path: string; // URI-encoded path
  query: Record<string, string>;
  /** The bucket and key the request addresses, for SigV2's canonical resource. */
  resource: { bucket: string; key: string };
  headers: Record<string, string>;
  body: Buffer;
}

export interface Credentials {
  accessKey: string;
  secretKey: string;
  /** Temporary credentials' token (STS), sent as X-Amz-Security-Token. */
  sessionToken?: string;
}

/** Sub-resources that AWS Signature V2 includes in the canonical resource. */
const V2_SUBRESOURCES = new Set([
  'acl', 'cors', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber', 'policy',
  'requestPayment', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
]);

/** AWS Signature V2's string to sign (the S3 REST authentication scheme). */
export function stringToSignV2(req: Pick<S3Request, 'method' | 'headers' | 'resource' | 'query'>): string {
  const header = (name: string): string => {
    const entry = Object.entries(req.headers).find(([k]) => k.toLowerCase() === name);
    return entry ? entry[1] : '';
  };
  const amzHeaders = Object.entries(req.headers)
    .map(([k, v]) => [k.toLowerCase(), v.trim()] as const)
    .filter(([k]) => k.startsWith('x-amz-'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}:${v}\n`)
    .join('');
  let resource = `/${req.resource.bucket}/`;
  resource += req.resource.key.split('/').map(encodeURIComponent).join('/');
  const subresources = Object.keys(req.query)
    .filter((k) => V2_SUBRESOURCES.has(k))
    .sort()
    .map((k) => (req.query[k] ? `${k}=${req.query[k]}` : k));
  if (subresources.length > 0) resource += `?${subresources.join('&')}`;
  return [req.method, header('content-md5'), header('content-type'), header('date')].join('\n') + '\n' + amzHeaders + resource;
}

export function signV2(req: S3Request, credentials: Credentials): S3Request {
  // The token is an x-amz- header: it is signed with the rest.
  const headers: Record<string, string> = { ...req.headers, date: req.headers.date ?? new Date().toUTCString() };
  if (credentials.sessionToken !== undefined) headers['x-amz-security-token'] = credentials.sessionToken;
  const signature = createHmac('sha1', credentials.secretKey)
    .update(stringToSignV2({ ...req, headers }))
    .digest('base64');
  return { ...req, headers: { ...headers, authorization: `AWS ${credentials.accessKey}:${signature}` } };
}

export async function signV4(req: S3Request, credentials: Credentials, region: string): Promise<S3Request> {
  const signer = new SignatureV4({
    service: 's3',
    region,
    credentials: { accessKeyId: credentials.accessKey, secretAccessKey: credentials.secretKey, sessionToken: credentials.sessionToken },
    sha256: Hash.bind(null, 'sha256'),
    // S3 signs the path as sent, without encoding it a second time.
    uriEscapePath: false,
  });
  const [hostname, port] = req.host.split(':');
  const signed = await signer.sign({
    method: req.method,
    protocol: req.protocol,
    hostname: hostname ?? req.host,
    port: port ? Number(port) : undefined,
    path: req.path,
    query: req.query,
    headers: {
      ...req.headers,
      host: req.host,
      'x-amz-content-sha256': createHash('sha256').update(req.body).digest('hex'),
    },
    body: req.body,
  });
  return { ...req, headers: signed.headers as Record<string, string> };
}
