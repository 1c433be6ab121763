import { createHash } from 'node:crypto';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { BucketConfig } from '../request/objstore';
import { S3Client, S3Error, type S3FailureKind } from '../s3/client';
import { checkpoint } from './heartbeat';

type S3BucketConfig = Extract<BucketConfig, { type: 'S3' }>;

export interface BucketCheck {
  checked: boolean;
  summary: string;
}

/** Error types of a failed bucket check. */
export const BUCKET_FAILURE_TYPES: Record<S3FailureKind, string> = {
  credentials: 'BucketCredentialsRejected',
  'no-such-bucket': 'BucketNotFound',
  unreachable: 'BucketEndpointUnreachable',
  'not-https': 'BucketEndpointNotHttps',
  'untrusted-certificate': 'BucketCertificateUntrusted',
  'access-denied': 'BucketAccessDenied',
  other: 'BucketCheckFailed',
};

/**
 * An endpoint that cannot be reached may be reachable on the step's next
 * attempt (a network blip, a server restarting); every other answer stays
 * the same until the operator changes something.
 */
const RETRYABLE_KINDS: ReadonlySet<S3FailureKind> = new Set(['unreachable']);

/** The S3 client Thanos's own would be: same endpoint, addressing, signature and list version. */
export function s3ClientFor(config: S3BucketConfig['config']): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    bucket: config.bucket,
    credentials:
      config.access_key !== undefined && config.secret_key !== undefined
        ? { accessKey: config.access_key, secretKey: config.secret_key, ...(config.session_token !== undefined && { sessionToken: config.session_token }) }
        : undefined,
    region: config.region,
    insecure: config.insecure,
    signatureVersion2: config.signature_version2,
    bucketLookupType: config.bucket_lookup_type,
    insecureSkipVerify: config.http_config?.insecure_skip_verify,
    listObjectsVersion: config.list_objects_version === 'v1' ? 'v1' : 'v2',
  });
}

/**
 * The probe's key under the configured prefix: one per workflow, so that a
 * later attempt overwrites (and deletes) what an attempt cut off by the
 * network left, and a concurrent install never touches it.
 */
function probeKey(dir: string): string {
  const { workflowExecution, activityId } = Context.current().info;
  const owner = workflowExecution?.workflowId ?? activityId;
  return `${dir}thanos-installer-probe-${createHash('sha256').update(owner).digest('hex').slice(0, 12)}`;
}

/**
 * Writes the probe object and reads it back, then deletes it on every path
 * (a failed read, a cancellation): the delete's own failure is reported only
 * if nothing failed before it.
 */
async function writeReadDelete(client: S3Client, key: string): Promise<void> {
  const body = Buffer.from(`written by the TKE Thanos installer to check that Thanos can use this bucket; safe to delete\n`);
  let failure: unknown;
  try {
    checkpoint('writing the probe object');
    await client.putObject(key, body);
    checkpoint('reading the probe object back');
    const read = await client.getObject(key);
    if (!read.equals(body)) {
      throw new S3Error('other', 'ProbeMismatch', `the probe object '${key}' read back differs from what was written`);
    }
    checkpoint('deleting the probe object');
  } catch (err) {
    failure = err;
  }
  try {
    await client.deleteObject(key);
  } catch (err) {
    if (failure === undefined) throw err;
    log.warn(`the probe object '${key}' may be left in the bucket: ${(err as Error).message}`);
  }
  if (failure !== undefined) throw failure;
}

/**
 * Lists the bucket, then writes, reads back and deletes a small probe object
 * under the configured prefix, exactly as Thanos will address it. Wrong
 * credentials, a missing bucket, a refused request or a failed TLS handshake
 * fail for good, each with its own error type; an unreachable endpoint fails
 * so that the step is tried again. No credential is ever part of a message.
 */
async function probeS3(bucketConfig: S3BucketConfig): Promise<BucketCheck> {
  const { config } = bucketConfig;
  if (config.aws_sdk_auth) {
    return { checked: false, summary: 'not checked: aws_sdk_auth takes credentials from the pods\' environment, which the installer does not have' };
  }
  const client = s3ClientFor(config);
  const dir = bucketConfig.prefix ? `${bucketConfig.prefix.replace(/\/+$/, '')}/` : '';
  try {
    checkpoint('listing the bucket');
    await client.listObjects(dir, 1);
    await writeReadDelete(client, probeKey(dir));
  } catch (err) {
    if (err instanceof S3Error) {
      throw ApplicationFailure.create({ message: err.message, type: BUCKET_FAILURE_TYPES[err.kind], nonRetryable: !RETRYABLE_KINDS.has(err.kind) });
    }
    throw err;
  }
  const style = client.addressing();
  const signature = config.signature_version2 ? 'Signature V2' : 'Signature V4';
  return {
    checked: true,
    summary: `bucket '${config.bucket}' at ${config.endpoint}: listed, probe object written, read back and deleted (${signature}, ${style} addressing)`,
  };
}

export function bucketActivities() {
  return {
    async checkBucket(bucketConfig: BucketConfig): Promise<BucketCheck> {
      if (bucketConfig.type === 'S3') return probeS3(bucketConfig);
      const result = {
        checked: false,
        summary: `not checked: the installer probes S3-compatible buckets only; a ${bucketConfig.type} bucket is first used when Thanos starts`,
      };
      log.warn(result.summary);
      return result;
    },
  };
}
