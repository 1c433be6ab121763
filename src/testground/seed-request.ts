import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestGroundCoordinates } from './coordinates';
import { projectRoot } from './paths';

/**
 * The design proposal's example request (test/fixtures/seed-request.json),
 * its bucket placeholders filled with this test ground's MinIO.
 */
export function seedRequestOn(c: TestGroundCoordinates): SeedRequest {
  const request = JSON.parse(readFileSync(join(projectRoot, 'test', 'fixtures', 'seed-request.json'), 'utf8')) as SeedRequest;
  Object.assign(request.config.monitor.thanos.bucketConfig.config, {
    endpoint: c.s3.endpoint,
    bucket: c.s3.bucket,
    access_key: c.s3.accessKey,
    secret_key: c.s3.secretKey,
  });
  return request;
}

/** The parts of the request that tests and benchmarks change. */
export interface SeedRequest {
  cluster: { metadata?: { name?: string } };
  config: { monitor: { thanos: Record<string, unknown> & { bucketConfig: { type?: string; config: Record<string, unknown> } } } };
}
