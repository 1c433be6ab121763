import * as k8s from '@kubernetes/client-node';

/**
 * The worker's cluster credentials: a kubeconfig file when one is named,
 * else the pod's in-cluster service account.
 */
export function loadKubeConfig(kubeconfigPath = process.env.KUBECONFIG): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromCluster();
  return kc;
}
