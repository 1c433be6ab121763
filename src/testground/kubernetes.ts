import { request } from 'node:https';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import { applyObjects } from '../kube/apply';
import { kwokConfiguration } from './kwok-stages';
import { onRealNode } from './node/addons';
import { NODE_TYPE_LABEL } from './node/kubelet';
import type { GroundNamespaces } from './node/namespaces';
import { KUBERNETES_SERVICE_IP, NODE_IP, REAL_NODE_NAME, SERVICE_CIDR } from './node/network';
import { binPath } from './paths';
import { createClusterPki, type ClusterPki } from './pki';
import { startProcess, waitUntilReady, type ManagedProcess } from './process';

/** Fake nodes get loopback addresses: nothing here may send traffic off the machine. */
export const FAKE_NODES = [
  { name: 'tke-node-1', ip: '127.0.1.1' },
  { name: 'tke-node-2', ip: '127.0.1.2' },
  { name: 'tke-node-3', ip: '127.0.1.3' },
];
/**
 * The controllers' own limit on requests to the API server. At the defaults
 * (20 a second, bursts of 30) ten installs at once queue behind the
 * controllers creating their pods.
 */
const CONTROLLER_CLIENT_RATE = ['--kube-api-qps=200', '--kube-api-burst=300'];
/** kwok hands out pod IPs from here; loopback again, and never dialled. */
const FAKE_POD_CIDR = '127.128.0.0/16';

/** Namespaces whose pods run on the real node; every other namespace's pods go to kwok's nodes. */
const REAL_NODE_NAMESPACES = ['kube-system', 'tke'];

export interface KubernetesCoordinates {
  kubeconfig: string;
  /** The API server, on loopback: the same address inside the test ground and on the host. */
  server: string;
  nodes: { name: string; ip: string; kind: 'kwok' | 'real' }[];
}

export interface RunningControlPlane {
  coordinates: KubernetesCoordinates;
  processes: ManagedProcess[];
  pki: ClusterPki;
  kc: k8s.KubeConfig;
}

function kubeconfigYaml(server: string, pki: ClusterPki): string {
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'testground', cluster: { server, 'certificate-authority': pki.caCert } }],
    users: [{ name: 'testground-admin', user: { 'client-certificate': pki.adminCert, 'client-key': pki.adminKey } }],
    contexts: [{ name: 'testground', context: { cluster: 'testground', user: 'testground-admin' } }],
    'current-context': 'testground',
  });
}

/** GET a path on the API server with the admin certificate; true on 200. */
function apiServerAnswers(port: number, path: string, pki: ClusterPki): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.adminCert),
        key: readFileSync(pki.adminKey),
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function fakeNode(name: string, ip: string): k8s.V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/master': '',
        [NODE_TYPE_LABEL]: 'kwok',
      },
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    },
  };
}

/**
 * PodNodeSelector sends every pod to kwok's nodes unless its namespace says
 * otherwise: the suite, not the installer's manifests, chooses where pods run.
 */
function admissionConfiguration(dir: string): string {
  const selectorFile = join(dir, 'pod-node-selector.yaml');
  writeFileSync(selectorFile, dump({ podNodeSelectorPluginConfig: { clusterDefaultNodeSelector: `${NODE_TYPE_LABEL}=kwok` } }));
  const file = join(dir, 'admission.yaml');
  writeFileSync(file, dump({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'AdmissionConfiguration',
    plugins: [{ name: 'PodNodeSelector', path: selectorFile }],
  }));
  return file;
}

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and the
 * kwok controller in the test ground's namespaces, then registers the fake
 * nodes and waits until they are Ready. The API server listens on `apiPort`
 * inside; the forwarder serves the same port on the host's loopback.
 */
export async function startControlPlane(runDir: string, ns: GroundNamespaces, apiPort: number): Promise<RunningControlPlane> {
  const dir = join(runDir, 'kubernetes');
  const logDir = join(runDir, 'logs');
  mkdirSync(join(dir, 'pki'), { recursive: true });
  const pki = await createClusterPki(join(dir, 'pki'), [NODE_IP, KUBERNETES_SERVICE_IP]);
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml(server, pki), { mode: 0o600 });
  const processes: ManagedProcess[] = [];
  // Inside the namespaces every port is free: the well-known ones serve.
  const start = (name: string, args: string[]): ManagedProcess => {
    const proc = startProcess({ name, command: 'nsenter', args: [...ns.enter(), binPath(name), ...args], logDir, cwd: dir });
    processes.push(proc);
    return proc;
  };

  const etcdUrl = 'http://127.0.0.1:2379';
  const etcd = start('etcd', [
    '--name=testground',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    '--listen-peer-urls=http://127.0.0.1:2380',
    '--initial-advertise-peer-urls=http://127.0.0.1:2380',
    '--initial-cluster=testground=http://127.0.0.1:2380',
    // A throw-away store: skipping fsync keeps tests fast on slow disks.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ]);
  await waitUntilReady(etcd, 'it listened on 127.0.0.1:2379', async () => {
    await ns.exec('bash', ['-c', 'exec 3<>/dev/tcp/127.0.0.1/2379']);
    return true;
  }, 30_000);

  const apiserver = start('kube-apiserver', [
    `--etcd-servers=${etcdUrl}`,
    // Inside the test ground's network only: loopback (for the forwarder and
    // the node's agents) and the node's address (for pods, via the `kubernetes` Service).
    '--bind-address=0.0.0.0',
    `--advertise-address=${NODE_IP}`,
    `--secure-port=${apiPort}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--kubelet-client-certificate=${pki.adminCert}`,
    `--kubelet-client-key=${pki.adminKey}`,
    `--kubelet-certificate-authority=${pki.caCert}`,
    '--kubelet-preferred-address-types=InternalIP',
    `--service-account-key-file=${pki.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=PodNodeSelector',
    `--admission-control-config-file=${admissionConfiguration(dir)}`,
    '--allow-privileged=true',
    '--service-node-port-range=30000-32767',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
  ]);
  await waitUntilReady(apiserver, 'it answered /readyz', () => apiServerAnswers(apiPort, '/readyz', pki), 90_000);

  const kcm = start('kube-controller-manager', [
    `--kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
    `--root-ca-file=${pki.caCert}`,
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    // kwok renews node leases slowly; do not mark fake nodes NotReady.
    '--node-monitor-grace-period=3m20s',
    ...CONTROLLER_CLIENT_RATE,
  ]);
  start('kube-scheduler', [`--kubeconfig=${kubeconfig}`, '--bind-address=127.0.0.1', '--leader-elect=false', ...CONTROLLER_CLIENT_RATE]);
  const kwokConfig = join(dir, 'kwok.yaml');
  writeFileSync(kwokConfig, kwokConfiguration());
  const kwok = start('kwok', [
    `--kubeconfig=${kubeconfig}`,
    `--config=${kwokConfig}`,
    // Only the fake nodes: the real node has a kubelet of its own.
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    `--cidr=${FAKE_POD_CIDR}`,
    '--node-ip=127.0.1.1',
    '--server-address=127.0.0.1:10247',
    // kwok renews node leases, which is what keeps fake nodes Ready.
    '--node-lease-duration-seconds=40',
  ]);

  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await waitUntilReady(kcm, 'the default ServiceAccount existed', async () => {
    await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
    return true;
  }, 60_000);
  await applyObjects(kc, [
    ...REAL_NODE_NAMESPACES.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations: onRealNode } })),
    ...FAKE_NODES.map((n) => fakeNode(n.name, n.ip)),
  ], 'testground');
  await waitUntilReady(kwok, `the fake nodes ${FAKE_NODES.map((n) => n.name).join(', ')} were Ready`, async () => {
    const nodes = await core.listNode({ labelSelector: `${NODE_TYPE_LABEL}=kwok` });
    const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length === FAKE_NODES.length;
  }, 60_000);
  const nodes = [
    ...FAKE_NODES.map((n) => ({ ...n, kind: 'kwok' as const })),
    { name: REAL_NODE_NAME, ip: NODE_IP, kind: 'real' as const },
  ];
  return { coordinates: { kubeconfig, server, nodes }, processes, pki, kc };
}
