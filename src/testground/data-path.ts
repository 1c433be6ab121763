/**
 * The data path as a business cluster and TKE see it: the remote-write URL
 * tke-platform-controller hands to business clusters, and what tke-monitor-api
 * answers to a PromQL query. Shared by the demo and the tests.
 */
import * as k8s from '@kubernetes/client-node';
import { parse } from '@iarna/toml';
import { apiServerGet } from '../kube/proxy';
import { TKE_STANDIN_PORT } from './tke-fixture';

/** `monitor_storage_addresses` of tke-platform-controller.toml plus `/api/v1/receive`: the business clusters' remote_write URL. */
export async function businessRemoteWriteUrl(kc: k8s.KubeConfig, namespace: string): Promise<string> {
  const cm = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedConfigMap({ name: 'tke-platform-controller', namespace });
  const toml = parse(cm.data?.['tke-platform-controller.toml'] ?? '') as { features?: { monitor_storage_addresses?: string } };
  const address = toml.features?.monitor_storage_addresses;
  if (!address) throw new Error(`tke-platform-controller.toml in namespace ${namespace} has no features.monitor_storage_addresses`);
  return `${address}/api/v1/receive`;
}

/** What the tke-monitor-api stand-in answers to an instant PromQL query (through the API server's pod proxy). */
export async function askTkeMonitor(kc: k8s.KubeConfig, namespace: string, promql: string): Promise<{ status: number; body: string }> {
  const pods = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace, labelSelector: 'app=tke-monitor-api' });
  const pod = pods.items.find((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)?.metadata?.name;
  if (!pod) throw new Error(`no running tke-monitor-api pod in namespace ${namespace}`);
  return apiServerGet(kc, `/api/v1/namespaces/${namespace}/pods/${pod}:${TKE_STANDIN_PORT}/proxy/api/v1/query?query=${encodeURIComponent(promql)}`);
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Asks tke-monitor-api until the query returns samples; resolves to them, or rejects after the timeout with the last answer. */
export async function waitForSamplesAtTkeMonitor(kc: k8s.KubeConfig, namespace: string, promql: string, timeoutMs: number): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const { status, body } = await askTkeMonitor(kc, namespace, promql);
      if (status === 200) {
        const result = (JSON.parse(body) as { data: { result: Sample[] } }).data.result;
        if (result.length > 0) return result;
        last = 'no samples yet';
      } else {
        last = `HTTP ${status}: ${body.slice(0, 200)}`;
      }
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`tke-monitor-api returned no samples of ${promql} within ${timeoutMs / 1000}s (last answer: ${last})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
