import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from '../s3/client';
import type { GroundNamespaces } from './node/namespaces';
import { NODE_IP } from './node/network';
import { binPath } from './paths';
import { startProcess, waitUntilReady, type ManagedProcess } from './process';

export interface S3Coordinates {
  /** host:port on loopback, without scheme, as Thanos's S3 `endpoint` wants it: the host's view. */
  endpoint: string;
  /** The same server at the node's address: how pods and everything on the node's network reach it. */
  nodeEndpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

/** Fixed root credentials: a throw-away server on loopback, never a secret. */
const ROOT_USER = 'testground-access';
const ROOT_PASSWORD = 'testground-secret-key';
const BUCKET = 'thanos';

/**
 * Starts MinIO in the test ground's network, where it listens on every
 * address (loopback and the node's), with fixed root credentials, and creates
 * the bucket. The forwarder serves the same port on the host's loopback.
 */
export async function startMinio(runDir: string, ns: GroundNamespaces, port: number): Promise<{ coordinates: S3Coordinates; process: ManagedProcess }> {
  const dataDir = join(runDir, 'minio');
  mkdirSync(dataDir, { recursive: true });
  const endpoint = `127.0.0.1:${port}`;
  const proc = startProcess({
    name: 'minio',
    command: 'nsenter',
    args: [...ns.enter(), binPath('minio'), 'server', dataDir, '--address', `:${port}`, '--console-address', '127.0.0.1:9001', '--quiet'],
    logDir: join(runDir, 'logs'),
    env: {
      ...process.env,
      MINIO_ROOT_USER: ROOT_USER,
      MINIO_ROOT_PASSWORD: ROOT_PASSWORD,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
      HOME: dataDir,
    },
  });
  const coordinates: S3Coordinates = {
    endpoint,
    nodeEndpoint: `${NODE_IP}:${port}`,
    accessKey: ROOT_USER,
    secretKey: ROOT_PASSWORD,
    bucket: BUCKET,
    region: 'us-east-1',
  };
  try {
    const s3 = new S3Client({
      endpoint,
      bucket: BUCKET,
      insecure: true,
      bucketLookupType: 'path',
      credentials: { accessKey: ROOT_USER, secretKey: ROOT_PASSWORD },
    });
    // /minio/health/ready can answer before the object layer is up
    // (XMinioServerNotInitialized): ready is when the bucket exists.
    await waitUntilReady(proc, 'it created the bucket', async () => {
      await s3.createBucket();
      return true;
    }, 60_000);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { coordinates, process: proc };
}
