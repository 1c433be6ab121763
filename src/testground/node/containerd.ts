import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, waitUntilReady, type ManagedProcess } from '../process';
import type { GroundNamespaces } from './namespaces';
import { CONTAINED_RANGES, POD_BRIDGE, POD_CIDR, POD_GATEWAY } from './network';
import { PAUSE_IMAGE } from './images';

/** containerd's socket, inside the test ground's private /run. */
export const CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
/** Debian's CNI plugins. */
const CNI_BIN_DIR = '/usr/lib/cni';
/** Registries every image reference here could name; all lead nowhere. */
const REGISTRIES = ['docker.io', 'quay.io', 'registry.k8s.io', 'registry.tke.com', '*'];
/** A loopback port nothing listens on in the test ground: a pull fails at once, and never leaves the machine. */
const NOWHERE = 'http://127.0.0.1:9';

/**
 * containerd's configuration: its state in the private tmpfs, the CRI plugin
 * with the pause image tagged here, runc with the cgroupfs driver, and every
 * registry pointed at a dead loopback port.
 */
export function containerdConfig(cniConfDir: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    'version = 2',
    'root = "/var/lib/containerd"',
    'state = "/run/containerd"',
    // The opt plugin would install into /opt/containerd on the host's disk.
    'disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
    '[grpc]',
    `  address = "${CONTAINERD_SOCKET}"`,
    `[${cri}]`,
    `  sandbox_image = "${PAUSE_IMAGE}"`,
    // This machine kind withholds CAP_SYS_RESOURCE: no process may lower its
    // OOM score, and runc fails when CRI asks it to.
    '  restrict_oom_score_adj = true',
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    '  SystemdCgroup = false',
    `[${cri}.cni]`,
    `  bin_dir = "${CNI_BIN_DIR}"`,
    `  conf_dir = "${cniConfDir}"`,
    ...REGISTRIES.flatMap((registry) => [`[${cri}.registry.mirrors."${registry}"]`, `  endpoint = ["${NOWHERE}"]`]),
    '',
  ].join('\n');
}

/**
 * The pods' network: a bridge with the node's pod range, routes only to the
 * test ground's own ranges (no default route), no masquerading.
 */
export function cniConfig(): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'testground',
    plugins: [
      {
        type: 'bridge',
        bridge: POD_BRIDGE,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: POD_CIDR, gateway: POD_GATEWAY }]],
          routes: CONTAINED_RANGES.filter((r) => !r.startsWith('127.')).map((dst) => ({ dst })),
          dataDir: '/var/lib/cni/networks',
        },
      },
    ],
  }, null, 2);
}

/** Starts containerd in the test ground's namespaces and waits until it answers. */
export async function startContainerd(ns: GroundNamespaces, dir: string, logDir: string): Promise<ManagedProcess> {
  const cniDir = join(dir, 'cni');
  mkdirSync(cniDir, { recursive: true });
  writeFileSync(join(cniDir, '10-testground.conflist'), cniConfig());
  const config = join(dir, 'containerd.toml');
  writeFileSync(config, containerdConfig(cniDir));
  const containerd = startProcess({
    name: 'containerd',
    command: 'nsenter',
    args: [...ns.enter(), 'containerd', '--config', config, '--log-level', 'warn'],
    logDir,
  });
  await waitUntilReady(containerd, 'it answered on its socket', async () => {
    await ns.exec('ctr', ['--address', CONTAINERD_SOCKET, 'version']);
    return true;
  }, 30_000);
  return containerd;
}

/** Imports image tars into the CRI's namespace of containerd, where kubelet finds them. */
export async function importImages(ns: GroundNamespaces, tars: string[]): Promise<void> {
  for (const tar of tars) {
    if (!existsSync(tar)) throw new Error(`image ${tar} is missing`);
    await ns.exec('ctr', ['--address', CONTAINERD_SOCKET, '-n', 'k8s.io', 'images', 'import', tar]);
  }
}
