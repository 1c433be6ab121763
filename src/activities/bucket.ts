import { randomBytes } from 'node:crypto';
import { ApplicationFailure, log } from '@temporalio/activity';
import type { BucketConfig } from '../request/objstore';
import { S3Client, S3Error, type S3FailureKind } from '../s3/client';

type S3BucketConfig = Extract<BucketConfig, { type: 'S3' }>;

export interface BucketCheck {
  checked: boolean;
  summary: string;
}

/** Error types of a failed bucket check; each is final until the operator changes something. */
export const BUCKET_FAILURE_TYPES: Record<S3FailureKind, string> = {
  credentials: 'BucketCredentialsRejected',
  'no-such-bucket': 'BucketNotFound',
  unreachable: 'BucketEndpointUnreachable',
  'access-denied': 'BucketAccessDenied',
  other: 'BucketCheckFailed',
};

/** The S3 client Thanos's own would be: same endpoint, addressing, signature and list version. */
export function s3ClientFor(config: S3BucketConfig['config']): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    bucket: config.bucket,
    credentials:
      config.access_key !== undefined && config.secret_key !== undefined
        ? { accessKey: config.access_key, secretKey: config.secret_key }
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
 * Lists the bucket, then writes, reads back and deletes a small probe object
 * under the configured prefix, exactly as Thanos will address it. Wrong
 * credentials, a missing bucket and an unreachable endpoint each fail with
 * their own non-retryable error; no credential is ever part of a message.
 */
async function probeS3(bucketConfig: S3BucketConfig): Promise<BucketCheck> {
  const { config } = bucketConfig;
  if (config.aws_sdk_auth) {
    return { checked: false, summary: 'not checked: aws_sdk_auth takes credentials from the pods\' environment, which the installer does not have' };
  }
  const client = s3ClientFor(config);
  const prefix = bucketConfig.prefix ? `${bucketConfig.prefix.replace(/\/+$/, '')}/` : '';
  const key = `${prefix}thanos-installer-probe-${randomBytes(6).toString('hex')}`;
  const body = Buffer.from(`written by the TKE Thanos installer at ${new Date().toISOString()}\n`);
  try {
    await client.listObjects(prefix, 1);
    await client.putObject(key, body);
    const read = await client.getObject(key);
    if (!read.equals(body)) {
      throw new S3Error('other', 'ProbeMismatch', `the probe object '${key}' read back differs from what was written`);
    }
    await client.deleteObject(key);
  } catch (err) {
    if (err instanceof S3Error) {
      throw ApplicationFailure.create({ message: err.message, type: BUCKET_FAILURE_TYPES[err.kind], nonRetryable: true });
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
