/**
 * kubelet and kube-proxy of the real node, run in the test ground's
 * namespaces against its control plane.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dump } from 'js-yaml';
import { binPath } from '../paths';
import { issueClientCertificate, issueServingCertificate, type ClusterPki, type ClientCertificate } from '../pki';
import { startProcess, type ManagedProcess } from '../process';
import { CONTAINERD_SOCKET } from './containerd';
import type { GroundNamespaces } from './namespaces';
import { CLUSTER_DNS_IP, CLUSTER_DOMAIN, CLUSTER_POD_RANGE, NODE_IP, NODE_LAN, POD_CIDR, REAL_NODE_NAME } from './network';

/** The label by which the suite sends pods to the real node (`type=real`) or to kwok's (`type=kwok`). */
export const NODE_TYPE_LABEL = 'type';

export function componentKubeconfig(server: string, caCert: string, client: ClientCertificate, user: string): string {
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'testground', cluster: { server, 'certificate-authority': caCert } }],
    users: [{ name: user, user: { 'client-certificate': client.cert, 'client-key': client.key } }],
    contexts: [{ name: 'testground', context: { cluster: 'testground', user } }],
    'current-context': 'testground',
  });
}

export function kubeletConfiguration(pki: ClusterPki, serving: ClientCertificate, cgroupRoot: string): Record<string, unknown> {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: NODE_IP,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    tlsCertFile: serving.cert,
    tlsPrivateKeyFile: serving.key,
    // Only holders of a certificate of the test CA (the API server) may talk to it.
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: pki.caCert } },
    authorization: { mode: 'AlwaysAllow' },
    containerRuntimeEndpoint: `unix://${CONTAINERD_SOCKET}`,
    // containerd 1.6 cannot tell kubelet its cgroup driver, and there is no systemd here.
    cgroupDriver: 'cgroupfs',
    cgroupRoot: `/${cgroupRoot}`,
    // This machine kind runs cgroup v1.
    failCgroupV1: false,
    failSwapOn: false,
    podCIDR: POD_CIDR,
    clusterDNS: [CLUSTER_DNS_IP],
    clusterDomain: CLUSTER_DOMAIN,
    // Pods get cluster DNS only, never the host's resolver.
    resolvConf: '',
    // kubelet checks its kernel settings instead of changing them (the test ground shows it the values it expects).
    protectKernelDefaults: true,
    // The images cannot be pulled again: never collect them, never evict for a full tmpfs.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    // ConfigMap volumes (the receive hashring, rule files) follow changes within seconds.
    syncFrequency: '10s',
    serializeImagePulls: false,
  };
}

export function kubeProxyConfiguration(kubeconfig: string): Record<string, unknown> {
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig },
    hostnameOverride: REAL_NODE_NAME,
    mode: 'iptables',
    clusterCIDR: CLUSTER_POD_RANGE,
    // NodePorts answer on the node's LAN address, as business clusters reach them.
    nodePortAddresses: [NODE_LAN],
    // Loopback NodePorts would need route_localnet; conntrack limits are global: leave both alone.
    iptables: { localhostNodePorts: false },
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    metricsBindAddress: '127.0.0.1:10249',
    healthzBindAddress: '127.0.0.1:10256',
  };
}

export interface NodeAgents {
  kubelet: ManagedProcess;
  kubeProxy: ManagedProcess;
}

/** Starts kubelet and kube-proxy; the node registers itself with the `type=real` label. */
export async function startNodeAgents(options: {
  ns: GroundNamespaces;
  dir: string;
  logDir: string;
  pki: ClusterPki;
  server: string;
  cgroupRoot: string;
}): Promise<NodeAgents> {
  const { ns, dir, logDir, pki, server } = options;
  // Issued beside the CA, whose files openssl reads from there.
  const pkiDir = dirname(pki.caCert);
  const serving = await issueServingCertificate(pkiDir, 'kubelet-serving', [NODE_IP], [REAL_NODE_NAME]);
  const kubeletClient = await issueClientCertificate(pkiDir, 'kubelet-client', `system:node:${REAL_NODE_NAME}`, ['system:nodes']);
  const proxyClient = await issueClientCertificate(pkiDir, 'kube-proxy-client', 'system:kube-proxy');

  const write = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    return join(dir, name);
  };
  const kubeletKubeconfig = write('kubelet.kubeconfig', componentKubeconfig(server, pki.caCert, kubeletClient, 'kubelet'));
  const proxyKubeconfig = write('kube-proxy.kubeconfig', componentKubeconfig(server, pki.caCert, proxyClient, 'kube-proxy'));
  const kubeletConfig = write('kubelet.yaml', dump(kubeletConfiguration(pki, serving, options.cgroupRoot)));
  const proxyConfig = write('kube-proxy.yaml', dump(kubeProxyConfiguration(proxyKubeconfig)));

  const kubelet = startProcess({
    name: 'kubelet',
    command: 'nsenter',
    args: [...ns.enter(), binPath('kubelet'),
      `--config=${kubeletConfig}`,
      `--kubeconfig=${kubeletKubeconfig}`,
      `--hostname-override=${REAL_NODE_NAME}`,
      `--node-ip=${NODE_IP}`,
      `--node-labels=${NODE_TYPE_LABEL}=real`,
      '--v=1'],
    logDir,
  });
  const kubeProxy = startProcess({
    name: 'kube-proxy',
    command: 'nsenter',
    args: [...ns.enter(), binPath('kube-proxy'), `--config=${proxyConfig}`],
    logDir,
  });
  return { kubelet, kubeProxy };
}
