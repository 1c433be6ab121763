import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from '../s3/client';
import { binPath } from './paths';
import { freePorts } from './ports';
import { startProcess, waitUntilReady, type ManagedProcess } from './process';

export interface S3Coordinates {
  /** host:port, without scheme, as Thanos's S3 `endpoint` wants it. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

/** Fixed root credentials: a throw-away server on loopback, never a secret. */
const ROOT_USER = 'testground-access';
const ROOT_PASSWORD = 'testground-secret-key';
const BUCKET = 'thanos';

/** Starts MinIO on loopback with fixed root credentials and creates the bucket. */
export async function startMinio(runDir: string): Promise<{ coordinates: S3Coordinates; process: ManagedProcess }> {
  const dataDir = join(runDir, 'minio');
  mkdirSync(dataDir, { recursive: true });
  const [apiPort, consolePort] = (await freePorts(2)) as [number, number];
  const endpoint = `127.0.0.1:${apiPort}`;
  const proc = startProcess({
    name: 'minio',
    command: binPath('minio'),
    args: ['server', dataDir, '--address', endpoint, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
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
    accessKey: ROOT_USER,
    secretKey: ROOT_PASSWORD,
    bucket: BUCKET,
    region: 'us-east-1',
  };
  try {
    await waitUntilReady(proc, 'it answered /minio/health/ready', async () =>
      (await fetch(`http://${endpoint}/minio/health/ready`)).ok, 60_000);
    await new S3Client({
      endpoint,
      bucket: BUCKET,
      insecure: true,
      bucketLookupType: 'path',
      credentials: { accessKey: ROOT_USER, secretKey: ROOT_PASSWORD },
    }).createBucket();
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { coordinates, process: proc };
}
