import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { clusterOfWorkflow } from '../workflows/contracts';

/** Says which cluster a worker reaches; touches nothing, so any workflow may run it. */
const HARMLESS_ACTIVITIES = new Set(['describeWorker']);

/**
 * A worker holds one cluster's kubeconfig. Whatever routed it there (a wrong
 * task queue in the registry, a workflow started by hand), an activity of
 * another cluster's workflow is refused before it reaches the cluster.
 */
export function clusterGuard(cluster: string): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      execute: async (input, next) => {
        const { workflowType, workflowExecution, activityType } = ctx.info;
        const workflowId = workflowExecution?.workflowId ?? 'none';
        const target = clusterOfWorkflow(workflowType ?? 'none', workflowId);
        if (target !== cluster && !HARMLESS_ACTIVITIES.has(activityType)) {
          throw ApplicationFailure.nonRetryable(
            `this worker holds the kubeconfig of cluster ${cluster}, but workflow ${workflowId} ` +
              `is for ${target === undefined ? 'no cluster it knows' : `cluster ${target}`}: check the task queue of that cluster in THANOS_INSTALLER_CLUSTERS`,
            'WrongCluster',
          );
        }
        return next(input);
      },
    },
  });
}
