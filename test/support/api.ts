import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiOptions } from '../../src/api/server';
import { InstallerApi } from '../../src/client/api-client';
import type { TestGroundCoordinates } from '../../src/testground/coordinates';
import type { RunningWorker } from './install';

export interface RunningApi {
  url: string;
  token: string;
  api: InstallerApi;
  app: FastifyInstance;
}

/** The API as the installer runs it, installing into `namespace`, on a free loopback port. */
export async function startApi(c: TestGroundCoordinates, env: Pick<RunningWorker, 'client' | 'taskQueue'>, namespace: string, more: Partial<ApiOptions> = {}): Promise<RunningApi> {
  const token = randomBytes(24).toString('hex');
  const app = await buildApi({
    client: env.client,
    token,
    webUiUrl: c.temporal.uiUrl,
    // Tests name clusters freely: every one goes to the test's worker.
    clusters: { taskQueueOf: () => env.taskQueue, names: () => ['any cluster, on the test\'s worker'] },
    namespace,
    logLevel: 'silent',
    ...more,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, token, api: new InstallerApi(url, token), app };
}
