import { readFileSync } from 'node:fs';
import type { KubernetesCoordinates } from './kubernetes';
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
