import * as k8s from '@kubernetes/client-node';

const clients = new WeakMap<k8s.KubeConfig, k8s.KubernetesObjectApi>();

/**
 * The generic object client for `kc`, one per KubeConfig: it learns each API
 * group's resources once (a discovery request per group version) and keeps
 * them, where a new client per call would ask again every time.
 */
export function objectApi(kc: k8s.KubeConfig): k8s.KubernetesObjectApi {
  let client = clients.get(kc);
  if (client === undefined) {
    client = k8s.KubernetesObjectApi.makeApiClient(kc);
    clients.set(kc, client);
  }
  return client;
}
