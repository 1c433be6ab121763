import type * as k8s from '@kubernetes/client-node';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { RolloutStatus } from '../kube/rollout';
import { RolloutTimedOut, waitForRollouts, type WorkloadRef } from '../kube/wait';
import type { ThanosComponent, ThanosSettings } from '../request/defaults';
import { thanosWorkloads } from '../render/groups';
import { checkpoint } from './heartbeat';

/** One component's readiness, as heartbeated and as reported. */
export interface ComponentReadiness {
  component: string;
  ready: boolean;
  message: string;
}

/**
 * Waits until every Thanos workload (or `only` these components') has rolled out, heartbeating each
 * component's status (so the Web UI shows it, and a new worker can take over
 * the wait); a cancellation stops it at once. On timeout it fails
 * naming each component still not ready and its pods' reasons.
 */
export function readinessActivities(kc: k8s.KubeConfig) {
  return {
    async waitForThanosReady(settings: ThanosSettings, timeoutSeconds: number, only?: ThanosComponent[]): Promise<ComponentReadiness[]> {
      const ctx = Context.current();
      const workloads = thanosWorkloads(settings).filter((w) => only === undefined || only.includes(w.component));
      const refs: WorkloadRef[] = workloads.map((w) => ({ kind: w.kind, namespace: settings.namespace, name: w.name }));
      const readiness = (statuses: RolloutStatus[]): ComponentReadiness[] =>
        workloads.map((w, i) => ({ component: w.component, ready: statuses[i]?.done ?? false, message: statuses[i]?.message ?? '' }));
      let last: ComponentReadiness[] = [];
      try {
        const statuses = await waitForRollouts(kc, refs, timeoutSeconds * 1000, {
          onProgress: (statuses) => {
            last = readiness(statuses);
            checkpoint(last);
          },
          signal: ctx.cancellationSignal,
        });
        return readiness(statuses);
      } catch (err) {
        if (!(err instanceof RolloutTimedOut)) throw err;
        const details = err.pending.map(
          (p) => `${workloads[refs.indexOf(p.ref)]?.component} is not ready (${p.status.message}); pods: ${p.pods.join(', ')}`,
        );
        throw ApplicationFailure.create({
          type: 'ComponentsNotReady',
          nonRetryable: true,
          message: `after ${timeoutSeconds}s, ${details.join(' | ')}`,
          details: [last],
        });
      }
    },
  };
}
