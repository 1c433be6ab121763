import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestGroundCoordinates } from './coordinates';
import { projectRoot } from './paths';

/** Where an install's pods run: kwok's fake nodes (loopback addresses) or the real node. */
export type NodeKind = 'kwok' | 'real';

/**
 * The design proposal's example request (test/fixtures/seed-request.json),
 * its bucket placeholders filled with this test ground's MinIO. For the real
 * node, the bucket and the machine (GLOBAL_NODE_IP) are the node's address,
 * which Thanos's pods, the worker and business clusters all use; for kwok's
 * nodes, whose pods never dial anything, loopback addresses.
 */
export function seedRequestOn(c: TestGroundCoordinates, node: NodeKind = 'kwok'): SeedRequest {
  const request = JSON.parse(readFileSync(join(projectRoot, 'test', 'fixtures', 'seed-request.json'), 'utf8')) as SeedRequest;
  if (node === 'real') {
    const machines = request.cluster.spec?.machines;
    if (!machines?.[0]) throw new Error('the seed request has no machine');
    machines[0].ip = c.realNode.ip;
  } else {
    // kwok's pods only pretend to run: no sample can travel through them.
    request.config.monitor.thanos.verifyDataPath = false;
  }
  Object.assign(request.config.monitor.thanos.bucketConfig.config, {
    endpoint: node === 'real' ? c.s3.nodeEndpoint : c.s3.endpoint,
    bucket: c.s3.bucket,
    access_key: c.s3.accessKey,
    secret_key: c.s3.secretKey,
  });
  return request;
}

/** The parts of the request that tests and benchmarks change. */
export interface SeedRequest {
  cluster: { metadata?: { name?: string }; spec?: { machines?: { ip: string }[] } };
  config: { monitor: { thanos: Record<string, unknown> & { bucketConfig: { type?: string; config: Record<string, unknown> } } } };
}
