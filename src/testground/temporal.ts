import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeFlags } from '../workflows/contracts';
import { binPath } from './paths';
import { freePorts } from './ports';
import { startProcess, waitUntilReady, type ManagedProcess } from './process';

export interface TemporalCoordinates {
  address: string;
  namespace: string;
  uiUrl: string;
}

export interface TemporalOptions {
  /** Where the Web UI sends payloads to be decoded (the codec endpoint). */
  codecEndpoint?: string;
  /** Its ports (frontend, UI, HTTP API, metrics), when they must be known before it starts. */
  ports?: [number, number, number, number];
}

/** Starts the `temporal` CLI's dev server with its Web UI and our search attributes. */
export async function startTemporal(
  runDir: string,
  options: TemporalOptions = {},
): Promise<{ coordinates: TemporalCoordinates; process: ManagedProcess }> {
  const dir = join(runDir, 'temporal');
  mkdirSync(dir, { recursive: true });
  const [grpcPort, uiPort, httpPort, metricsPort] = options.ports ?? ((await freePorts(4)) as [number, number, number, number]);
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(grpcPort),
    '--ui-port', String(uiPort),
    '--http-port', String(httpPort),
    '--metrics-port', String(metricsPort),
    '--db-filename', join(dir, 'temporal.db'),
    '--log-level', 'warn',
    ...searchAttributeFlags().flatMap((flag) => ['--search-attribute', flag]),
  ];
  if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  const proc = startProcess({
    name: 'temporal',
    command: binPath('temporal'),
    args,
    logDir: join(runDir, 'logs'),
    cwd: dir,
    // The dev server must not read a developer's own Temporal CLI profile.
    env: { ...process.env, TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '', HOME: dir },
  });
  const address = `127.0.0.1:${grpcPort}`;
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  try {
    await waitUntilReady(proc, 'its frontend answered a health check', async () => {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        const health = await connection.healthService.check({});
        return health.status === 1; // SERVING
      } finally {
        await connection.close();
      }
    }, 60_000);
    await waitUntilReady(proc, 'its Web UI answered', async () => (await fetch(uiUrl)).ok, 30_000);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { coordinates: { address, namespace: 'default', uiUrl }, process: proc };
}
