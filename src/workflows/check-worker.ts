import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WorkerInfo } from '../activities/worker-info';

const { describeWorker } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/** Round trip through a worker: proves it polls the task queue and reaches the cluster. */
export async function checkWorker(): Promise<WorkerInfo> {
  return describeWorker();
}
