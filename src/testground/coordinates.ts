import { readFileSync } from 'node:fs';
import { CODEC_KEY_ENV, DEFAULT_KEY_ID, singleKey, type CodecKeys } from '../codec/key';
import type { WorkerConfig } from '../worker';
import type { CodecEndpointCoordinates } from './codec';
import type { KubernetesCoordinates } from './kubernetes';
import type { BusinessClusterCoordinates } from './node/business-cluster';
import type { S3Coordinates } from './minio';
import type { PinnedVersions } from './paths';
import type { TemporalCoordinates } from './temporal';

/** What a running test ground tells its users (tests, the demo, the benchmark). */
export interface TestGroundCoordinates {
  runDir: string;
  supervisorPid: number;
  /** The server processes, so that a test can check none outlives the supervisor. */
  processes: { name: string; pid: number }[];
  temporal: TemporalCoordinates;
  kubernetes: KubernetesCoordinates;
  s3: S3Coordinates;
  /** The Web UI's codec endpoint, its payload key and the credentials it accepts. */
  codec: CodecEndpointCoordinates;
  /**
   * The real node. `ip` is GLOBAL_NODE_IP, reachable only inside the test
   * ground's network namespace, which `netnsPid`'s process holds; kubelet puts
   * every pod under the cgroup `cgroupRoot`.
   */
  realNode: { name: string; ip: string; netnsPid: number; cgroupRoot: string };
  /** A business cluster's host on the node's LAN, outside the global cluster. */
  businessCluster: BusinessClusterCoordinates;
  versions: PinnedVersions;
}

/** The environment variable through which a started test ground is found. */
export const COORDINATES_ENV = 'THANOS_TESTGROUND_COORDINATES';

export function readCoordinates(file = process.env[COORDINATES_ENV]): TestGroundCoordinates {
  if (!file) {
    throw new Error(`${COORDINATES_ENV} is not set: start the test ground first (npm run testground -- up)`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as TestGroundCoordinates;
}

/** The payload key of a test ground, as clients and workers take it. */
export function codecKeysOf(c: TestGroundCoordinates): CodecKeys {
  return singleKey({ id: DEFAULT_KEY_ID, key: Buffer.from(c.codec.key, 'base64') });
}

/** A worker configuration for this test ground, as src/worker.ts would read it from the environment. */
export function workerConfigOn(c: TestGroundCoordinates, taskQueue: string): WorkerConfig {
  return {
    temporalAddress: c.temporal.address,
    namespace: c.temporal.namespace,
    taskQueue,
    kubeconfig: c.kubernetes.kubeconfig,
    codecKeys: codecKeysOf(c),
  };
}

/** The environment of a worker process for this test ground; with `cluster`, it serves that cluster only. */
export function workerEnvOn(c: TestGroundCoordinates, taskQueue: string, cluster?: string): NodeJS.ProcessEnv {
  return {
    ...(cluster === undefined ? {} : { THANOS_INSTALLER_CLUSTER: cluster }),
    TEMPORAL_ADDRESS: c.temporal.address,
    TEMPORAL_NAMESPACE: c.temporal.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    KUBECONFIG: c.kubernetes.kubeconfig,
    [CODEC_KEY_ENV]: c.codec.key,
  };
}
