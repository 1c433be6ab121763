/**
 * What the real node needs from the cluster: cluster DNS (CoreDNS, as a pod)
 * and dynamic volumes (local-path-provisioner, as a process beside kubelet,
 * with its helper pods on the node).
 */
import type * as k8s from '@kubernetes/client-node';
import { CLUSTER_DNS_IP, CLUSTER_DOMAIN, REAL_NODE_NAME } from './network';
import { NODE_TYPE_LABEL } from './kubelet';

/** The annotation of PodNodeSelector: every pod of a namespace gets this node selector. */
export const NAMESPACE_NODE_SELECTOR = 'scheduler.alpha.kubernetes.io/node-selector';
/** A namespace whose pods run on the real node. */
export const onRealNode = { [NAMESPACE_NODE_SELECTOR]: `${NODE_TYPE_LABEL}=real` };

export const LOCAL_PATH_NAMESPACE = 'local-path-storage';
export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';
export const LOCAL_PATH_STORAGE_CLASS = 'local-path';
const LOCAL_PATH_CONFIG = 'local-path-config';
const LOCAL_PATH_SERVICE_ACCOUNT = 'local-path-provisioner';
/** Volumes live in the test ground's private tmpfs, and vanish with it. */
export const VOLUME_DIR = '/var/lib/testground-volumes';

/**
 * CoreDNS answers for the cluster domain only: there is no `forward`, so a
 * name outside it is refused, never sent to another resolver. Negative
 * answers are cached for 1 s, so a headless Service's records show up soon
 * after its pods turn Ready.
 */
export function corefile(): string {
  return `.:53 {
    errors
    health {
        lameduck 5s
    }
    ready
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    cache 30 {
        denial 9984 1
    }
    loadbalance
    reload
}
`;
}

export function coreDnsObjects(image: string): k8s.KubernetesObject[] {
  const namespace = 'kube-system';
  const labels = { 'k8s-app': 'kube-dns' };
  const role: k8s.V1ClusterRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'system:coredns' },
    rules: [
      { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ],
  };
  const deployment: k8s.V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'coredns', namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'coredns',
          dnsPolicy: 'Default',
          containers: [{
            name: 'coredns',
            image,
            imagePullPolicy: 'Never',
            args: ['-conf', '/etc/coredns/Corefile'],
            ports: [
              { name: 'dns', containerPort: 53, protocol: 'UDP' },
              { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
            ],
            volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
            readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 1 },
            livenessProbe: { httpGet: { path: '/health', port: 8080 }, periodSeconds: 10, failureThreshold: 5 },
            resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { memory: '170Mi' } },
          }],
          volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
        },
      },
    },
  };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace } } as k8s.V1ServiceAccount,
    role,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace }],
    } as k8s.V1ClusterRoleBinding,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace }, data: { Corefile: corefile() } } as k8s.V1ConfigMap,
    deployment,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace, labels },
      spec: {
        clusterIP: CLUSTER_DNS_IP,
        selector: labels,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        ],
      },
    } as k8s.V1Service,
  ];
}

/**
 * local-path-provisioner's cluster objects: its namespace (on the real node),
 * the ServiceAccount of its helper pods, its configuration (volumes of the
 * real node under VOLUME_DIR, made writable for Thanos's uid 1001, as host
 * paths ignore fsGroup) and the default StorageClass.
 */
export function localPathObjects(helperImage: string): k8s.KubernetesObject[] {
  const namespace = LOCAL_PATH_NAMESPACE;
  const helperPod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'helper-pod' },
    spec: { containers: [{ name: 'helper-pod', image: helperImage, imagePullPolicy: 'Never' }] },
  };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, annotations: onRealNode } } as k8s.V1Namespace,
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: LOCAL_PATH_SERVICE_ACCOUNT, namespace } } as k8s.V1ServiceAccount,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: LOCAL_PATH_CONFIG, namespace },
      data: {
        'config.json': JSON.stringify({ nodePathMap: [{ node: REAL_NODE_NAME, paths: [VOLUME_DIR] }] }),
        setup: '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
        teardown: '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
        'helperPod.yaml': JSON.stringify(helperPod),
      },
    } as k8s.V1ConfigMap,
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: LOCAL_PATH_STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: LOCAL_PATH_PROVISIONER,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
    } as k8s.V1StorageClass,
  ];
}

/** local-path-provisioner's arguments, run as a process with the admin kubeconfig. */
export function localPathProvisionerArgs(kubeconfig: string, helperImage: string): string[] {
  return [
    'start',
    `--kubeconfig=${kubeconfig}`,
    `--provisioner-name=${LOCAL_PATH_PROVISIONER}`,
    `--namespace=${LOCAL_PATH_NAMESPACE}`,
    `--configmap-name=${LOCAL_PATH_CONFIG}`,
    `--service-account-name=${LOCAL_PATH_SERVICE_ACCOUNT}`,
    `--helper-image=${helperImage}`,
  ];
}
