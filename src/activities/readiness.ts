import type * as k8s from '@kubernetes/client-node';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { podReasons, rolloutStatus, type WorkloadRef } from '../kube/wait';
import type { ThanosSettings } from '../request/defaults';
import { thanosWorkloads } from '../render/groups';
import { checkpoint } from './heartbeat';

/** How often readiness is checked: often enough to add little to an install's time. */
const POLL_INTERVAL_MS = 250;

/** One component's readiness, as heartbeated and as reported. */
export interface ComponentReadiness {
  component: string;
  ready: boolean;
  message: string;
}

/**
 * Waits until every Thanos workload has rolled out, heartbeating each
 * component's status (so the Web UI shows it, and a new worker can take over
 * the wait); a cancellation stops it at the next look. On timeout it fails
 * naming each component still not ready and its pods' reasons.
 */
export function readinessActivities(kc: k8s.KubeConfig) {
  return {
    async waitForThanosReady(settings: ThanosSettings, timeoutSeconds: number): Promise<ComponentReadiness[]> {
      const ctx = Context.current();
      const workloads = thanosWorkloads(settings);
      const deadline = Date.now() + timeoutSeconds * 1000;
      for (;;) {
        const statuses: ComponentReadiness[] = [];
        for (const w of workloads) {
          const status = await rolloutStatus(kc, { kind: w.kind, namespace: settings.namespace, name: w.name });
          statuses.push({ component: w.component, ready: status.done, message: status.message });
        }
        checkpoint(statuses);
        const pending = workloads.filter((_, i) => !statuses[i]?.ready);
        if (pending.length === 0) return statuses;
        if (Date.now() > deadline) {
          const details: string[] = [];
          for (const w of pending) {
            const ref: WorkloadRef = { kind: w.kind, namespace: settings.namespace, name: w.name };
            const status = statuses[workloads.indexOf(w)];
            details.push(`${w.component} is not ready (${status?.message}); pods: ${(await podReasons(kc, ref)).join(', ')}`);
          }
          throw ApplicationFailure.create({
            type: 'ComponentsNotReady',
            nonRetryable: true,
            message: `after ${timeoutSeconds}s, ${details.join(' | ')}`,
            details: [statuses],
          });
        }
        await ctx.sleep(POLL_INTERVAL_MS);
      }
    },
  };
}
