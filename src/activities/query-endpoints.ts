import * as k8s from '@kubernetes/client-node';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { apiServerGetJson } from '../kube/proxy';
import type { ThanosComponent, ThanosSettings } from '../request/defaults';
import { GRPC_PORT, queryApiProxyPath, resourceName } from '../render/thanos/topology';
import { checkpoint } from './heartbeat';

const POLL_MS = 1000;

interface EndpointStatus {
  name: string;
  lastError: string | null;
}

const isReady = (pod: k8s.V1Pod): boolean =>
  pod.metadata?.deletionTimestamp === undefined && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * Query answers only from the endpoints it has discovered: a pod that
 * restarted with a new address is missing from its answers until Query
 * looks it up again, and Query says nothing of it. A reconfiguration waits,
 * after each component it rolls, until Query reaches every Ready pod of it.
 */
export function queryEndpointActivities(kc: k8s.KubeConfig) {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return {
    async waitUntilQueryReaches(settings: ThanosSettings, component: ThanosComponent, timeoutSeconds: number): Promise<string> {
      const ctx = Context.current();
      const deadline = Date.now() + timeoutSeconds * 1000;
      for (;;) {
        const pods = await core.listNamespacedPod({ namespace: settings.namespace, labelSelector: `app.kubernetes.io/name=${resourceName(component)}` });
        const wanted = pods.items.filter(isReady).map((p) => `${p.status?.podIP}:${GRPC_PORT}`);
        let unreached = wanted;
        let why = '';
        try {
          const answer = await apiServerGetJson<{ data: Record<string, EndpointStatus[]> }>(kc, queryApiProxyPath(settings.namespace, '/api/v1/stores'));
          const healthy = new Set(Object.values(answer.data).flat().filter((e) => e.lastError === null).map((e) => e.name));
          unreached = wanted.filter((address) => !healthy.has(address));
        } catch (err) {
          why = ` (Query did not answer: ${(err as Error).message})`;
        }
        checkpoint({ component, unreached });
        if (unreached.length === 0) return `Query reaches ${wanted.length} ${component} pod(s)`;
        if (Date.now() > deadline) {
          throw ApplicationFailure.create({
            type: 'QueryDoesNotReach',
            message: `after ${timeoutSeconds}s, Query does not reach ${component} at ${unreached.join(', ')}${why}`,
          });
        }
        await ctx.sleep(POLL_MS);
      }
    },
  };
}
