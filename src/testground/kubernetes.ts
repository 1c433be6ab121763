import { request } from 'node:https';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { applyObjects } from '../kube/apply';
import { kwokConfiguration, testgroundStorageClass } from './kwok-stages';
import { binPath } from './paths';
import { freePorts } from './ports';
import { createClusterPki, type ClusterPki } from './pki';
import { startProcess, waitUntilReady, type ManagedProcess } from './process';

/** Fake nodes get loopback addresses: nothing here may send traffic off the machine. */
export const FAKE_NODES = [
  { name: 'tke-node-1', ip: '127.0.1.1' },
  { name: 'tke-node-2', ip: '127.0.1.2' },
  { name: 'tke-node-3', ip: '127.0.1.3' },
];
/** kwok hands out pod IPs from here; loopback again, and never dialled. */
const POD_CIDR = '127.128.0.0/16';

export interface KubernetesCoordinates {
  kubeconfig: string;
  server: string;
  nodes: { name: string; ip: string }[];
}

export interface RunningKubernetes {
  coordinates: KubernetesCoordinates;
  processes: ManagedProcess[];
}

function kubeconfigYaml(server: string, pki: ClusterPki): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: testground',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${pki.caCert}`,
    'users:',
    '- name: testground-admin',
    '  user:',
    `    client-certificate: ${pki.adminCert}`,
    `    client-key: ${pki.adminKey}`,
    'contexts:',
    '- name: testground',
    '  context: {cluster: testground, user: testground-admin}',
    'current-context: testground',
    '',
  ].join('\n');
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
        type: 'kwok',
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
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and the
 * kwok controller, all on 127.0.0.1 and free ports, then registers the fake
 * nodes and waits until they are Ready.
 */
export async function startKubernetes(runDir: string): Promise<RunningKubernetes> {
  const dir = join(runDir, 'kubernetes');
  const logDir = join(runDir, 'logs');
  mkdirSync(join(dir, 'pki'), { recursive: true });
  const pki = await createClusterPki(join(dir, 'pki'));
  const [etcdClient, etcdPeer, apiPort, kcmPort, schedulerPort, kwokPort] = (await freePorts(6)) as [
    number, number, number, number, number, number,
  ];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml(server, pki), { mode: 0o600 });
  const processes: ManagedProcess[] = [];
  const start = (name: string, args: string[]): ManagedProcess => {
    const proc = startProcess({ name, command: binPath(name), args, logDir, cwd: dir });
    processes.push(proc);
    return proc;
  };

  try {
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = start('etcd', [
      '--name=testground',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=testground=${peerUrl}`,
      // A throw-away store: skipping fsync keeps tests fast on slow disks.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await waitUntilReady(etcd, 'it answered /health', async () => {
      const res = await fetch(`${etcdUrl}/health`);
      return res.ok;
    }, 30_000);

    const apiserver = start('kube-apiserver', [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The `kubernetes` Service's endpoint would be 127.0.0.1, which
      // Endpoints validation rejects; nothing here needs that Service.
      '--endpoint-reconciler-type=none',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-key-file=${pki.serviceAccountPublicKey}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      '--service-node-port-range=30000-32767',
      // ClusterIPs are never dialled here (no kube-proxy); keep them in loopback anyway.
      '--service-cluster-ip-range=127.64.0.0/16',
    ]);
    await waitUntilReady(apiserver, 'it answered /readyz', () => apiServerAnswers(apiPort, '/readyz', pki), 90_000);

    start('kube-controller-manager', [
      `--kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      '--leader-elect=false',
      `--root-ca-file=${pki.caCert}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      // kwok renews node leases slowly; do not mark fake nodes NotReady.
      '--node-monitor-grace-period=3m20s',
    ]);
    start('kube-scheduler', [
      `--kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${schedulerPort}`,
      '--leader-elect=false',
    ]);
    const kwokConfig = join(dir, 'kwok.yaml');
    writeFileSync(kwokConfig, kwokConfiguration());
    const kwok = startProcess({
      name: 'kwok',
      command: binPath('kwok'),
      args: [
        `--kubeconfig=${kubeconfig}`,
        `--config=${kwokConfig}`,
        '--manage-all-nodes=true',
        `--cidr=${POD_CIDR}`,
        '--node-ip=127.0.1.1',
        `--server-address=127.0.0.1:${kwokPort}`,
        // kwok renews node leases, which is what keeps fake nodes Ready.
        '--node-lease-duration-seconds=40',
      ],
      logDir,
      cwd: dir,
    });
    processes.push(kwok);

    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await applyObjects(kc, [...FAKE_NODES.map((n) => fakeNode(n.name, n.ip)), testgroundStorageClass()], 'testground');
    await waitUntilReady(kwok, `the fake nodes ${FAKE_NODES.map((n) => n.name).join(', ')} were Ready`, async () => {
      const nodes = await core.listNode();
      const ready = nodes.items.filter((n) =>
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length === FAKE_NODES.length;
    }, 60_000);
    // Pods can only be created once the namespace's default ServiceAccount exists.
    const kcm = processes.find((p) => p.name === 'kube-controller-manager') as ManagedProcess;
    await waitUntilReady(kcm, 'the default ServiceAccount existed', async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    }, 60_000);
    return { coordinates: { kubeconfig, server, nodes: FAKE_NODES }, processes };
  } catch (err) {
    await stopAll(processes);
    throw err;
  }
}

/** Stops processes in reverse start order (kwok first, etcd last). */
export async function stopAll(processes: ManagedProcess[]): Promise<void> {
  for (const proc of [...processes].reverse()) await proc.stop();
}
