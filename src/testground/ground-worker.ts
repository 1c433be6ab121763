import { join } from 'node:path';
import { workerEnvOn, type TestGroundCoordinates } from './coordinates';
import { projectRoot } from './paths';
import { startProcess, type ManagedProcess } from './process';

/**
 * A worker process (`node dist/worker.js`, configured by its environment, as
 * operators run it) in the test ground's network, where GLOBAL_NODE_IP and
 * the bucket at the node's address are reachable: an installer host in a TKE
 * site. Temporal and the API server are at the same loopback addresses there.
 * SIGTERM (`stop()`) shuts it down gracefully.
 */
export function startGroundWorker(
  c: TestGroundCoordinates,
  taskQueue: string,
  options: { name?: string; cluster?: string } = {},
): ManagedProcess {
  return startProcess({
    name: options.name ?? `worker-${taskQueue}`,
    command: 'nsenter',
    args: ['-t', String(c.realNode.netnsPid), '-n', '--', process.execPath, join(projectRoot, 'dist', 'worker.js')],
    env: { PATH: process.env.PATH, ...workerEnvOn(c, taskQueue, options.cluster) },
    logDir: join(c.runDir, 'logs'),
  });
}
