/**
 * New credentials for the test ground's bucket without MinIO's admin API:
 * temporary credentials from MinIO's STS AssumeRole, which grant what the
 * root user may do. A credential change in the tests moves from the root
 * keys to these (access key, secret key and session token all differ).
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { S3Coordinates } from '../../src/testground/minio';

export interface TemporaryCredentials {
  accessKey: string;
  secretKey: string;
  sessionToken: string;
}

const field = (xml: string, name: string): string => {
  const value = new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1];
  if (value === undefined) throw new Error(`AssumeRole answered without ${name}: ${xml.slice(0, 300)}`);
  return value;
};

export async function assumeRole(s3: S3Coordinates, durationSeconds = 3600): Promise<TemporaryCredentials> {
  const [hostname = '', port = ''] = s3.endpoint.split(':');
  const body = `Action=AssumeRole&Version=2011-06-15&DurationSeconds=${durationSeconds}`;
  const signer = new SignatureV4({
    service: 'sts',
    region: s3.region,
    credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname,
    port: Number(port),
    path: '/',
    headers: { host: s3.endpoint, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const response = await fetch(`http://${s3.endpoint}/`, { method: 'POST', headers: signed.headers as Record<string, string>, body });
  const xml = await response.text();
  if (!response.ok) throw new Error(`AssumeRole: HTTP ${response.status}: ${xml.slice(0, 300)}`);
  return { accessKey: field(xml, 'AccessKeyId'), secretKey: field(xml, 'SecretAccessKey'), sessionToken: field(xml, 'SessionToken') };
}
