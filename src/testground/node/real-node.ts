/**
 * The real node: containerd with the images built here, kubelet and
 * kube-proxy, cluster DNS and a dynamic volume provisioner, all in the test
 * ground's namespaces. Thanos runs here as a user's cluster would run it.
 */
import * as k8s from '@kubernetes/client-node';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyObjects } from '../../kube/apply';
import { waitForRollouts } from '../../kube/wait';
import { binPath, type PinnedVersions } from '../paths';
import type { ClusterPki } from '../pki';
import { startProcess, waitUntilReady, type ManagedProcess } from '../process';
import { coreDnsObjects, localPathObjects, localPathProvisionerArgs } from './addons';
import { createCgroupRoot } from './cgroups';
import { importImages, startContainerd } from './containerd';
import { BUSYBOX_IMAGE, busyboxApplets, coreDnsImage, imageTar, nodeImages } from './images';
import { startNodeAgents } from './kubelet';
import type { GroundNamespaces } from './namespaces';
import { REAL_NODE_NAME } from './network';

export interface RealNodeOptions {
  ns: GroundNamespaces;
  runDir: string;
  versions: PinnedVersions;
  cgroupRoot: string;
}

/**
 * First half, which needs no API server: containerd, with every image
 * imported. Runs while the control plane starts.
 */
export async function startContainerRuntime(options: RealNodeOptions): Promise<ManagedProcess> {
  const dir = join(options.runDir, 'node');
  mkdirSync(dir, { recursive: true });
  const logDir = join(options.runDir, 'logs');
  const [containerd, tars] = await Promise.all([
    startContainerd(options.ns, dir, logDir),
    busyboxApplets().then((applets) => Promise.all(nodeImages(options.versions, applets).map(imageTar))),
  ]);
  try {
    await importImages(options.ns, tars);
  } catch (err) {
    throw new Error(`importing the node's images into containerd failed: ${(err as Error).message}`);
  }
  return containerd;
}

/**
 * Second half: kubelet and kube-proxy join the control plane; the node turns
 * Ready; CoreDNS and local-path-provisioner come up.
 */
export async function joinRealNode(
  options: RealNodeOptions,
  controlPlane: { kc: k8s.KubeConfig; pki: ClusterPki; server: string; kubeconfig: string },
): Promise<ManagedProcess[]> {
  const { ns, runDir } = options;
  const dir = join(runDir, 'node');
  const logDir = join(runDir, 'logs');
  createCgroupRoot(options.cgroupRoot);
  const agents = await startNodeAgents({ ns, dir, logDir, pki: controlPlane.pki, server: controlPlane.server, cgroupRoot: options.cgroupRoot });
  const { kc } = controlPlane;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await waitUntilReady(agents.kubelet, `node ${REAL_NODE_NAME} was Ready`, async () => {
    const node = await core.readNode({ name: REAL_NODE_NAME });
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  }, 60_000);
  // TKE runs its components on master nodes; kubelet may not give itself this label.
  await core.patchNode(
    { name: REAL_NODE_NAME, body: { metadata: { labels: { 'node-role.kubernetes.io/master': '' } } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  const addons = [...coreDnsObjects(coreDnsImage(options.versions)), ...localPathObjects(BUSYBOX_IMAGE)];
  // Applies run concurrently: the namespaces first, or an object in one may be refused (seen once: 404 on a ServiceAccount).
  await applyObjects(kc, addons.filter((o) => o.kind === 'Namespace'), 'testground');
  await applyObjects(kc, addons.filter((o) => o.kind !== 'Namespace'), 'testground');
  // It reads its configuration from the ConfigMap just applied.
  const provisioner = startProcess({
    name: 'local-path-provisioner',
    command: 'nsenter',
    args: [...ns.enter(), binPath('local-path-provisioner'), ...localPathProvisionerArgs(controlPlane.kubeconfig, BUSYBOX_IMAGE)],
    logDir,
  });
  await waitUntilReady(provisioner, 'its controller started', async () => readFileSync(provisioner.logFile, 'utf8').includes('Started provisioner controller'), 30_000);
  await waitForRollouts(kc, [{ kind: 'Deployment', namespace: 'kube-system', name: 'coredns' }], 60_000).catch((err: Error) => {
    throw new Error(`CoreDNS did not become ready on ${REAL_NODE_NAME}: ${err.message}. Logs: ${join(logDir, 'kubelet.log')}`);
  });
  return [agents.kubelet, agents.kubeProxy, provisioner];
}
