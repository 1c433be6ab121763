/**
 * The real node's configuration keeps every packet on the machine and runs
 * exactly what the installer installs; checked here without servers.
 */
import { DEFAULT_THANOS_IMAGE } from '../../src/request/defaults';
import { corefile } from '../../src/testground/node/addons';
import { cniConfig, containerdConfig } from '../../src/testground/node/containerd';
import { kubeletConfiguration, kubeProxyConfiguration } from '../../src/testground/node/kubelet';
import { nodeImages, UPGRADE_THANOS_IMAGE } from '../../src/testground/node/images';
import { CONTAINED_RANGES, NODE_IP } from '../../src/testground/node/network';
import { pinnedVersions } from '../../src/testground/paths';
import type { ClusterPki } from '../../src/testground/pki';

test('the Thanos image is built from the pinned Thanos version and tagged as the installer renders it', () => {
  expect(DEFAULT_THANOS_IMAGE).toBe(`quay.io/thanos/thanos:${pinnedVersions().thanos}`);
});

test('pods get routes to the test ground\'s own ranges only, and no masquerading', () => {
  const config = JSON.parse(cniConfig()) as { plugins: { ipMasq: boolean; ipam: { routes: { dst: string }[] } }[] };
  const bridge = config.plugins[0];
  expect(bridge?.ipMasq).toBe(false);
  const routes = bridge?.ipam.routes.map((r) => r.dst) ?? [];
  expect(routes).not.toContain('0.0.0.0/0');
  for (const dst of routes) expect(CONTAINED_RANGES).toContain(dst);
});

test('every registry an image could name leads to a dead loopback port', () => {
  const config = containerdConfig('/cni');
  const mirrors = [...config.matchAll(/registry\.mirrors\."([^"]+)"\]\n\s+endpoint = \["([^"]+)"\]/g)].map((m) => [m[1], m[2]]);
  expect(mirrors.map(([registry]) => registry)).toEqual(expect.arrayContaining(['quay.io', 'docker.io', 'registry.k8s.io', 'registry.tke.com', '*']));
  for (const [, endpoint] of mirrors) expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(config).toContain('restrict_oom_score_adj = true');
});

test('cluster DNS answers the cluster domain only: no forwarding to any other resolver', () => {
  expect(corefile()).toContain('kubernetes cluster.local');
  expect(corefile()).not.toMatch(/forward|proxy/);
});

test('kubelet gives pods cluster DNS only and checks, never changes, the kernel settings', () => {
  const pki = { caCert: '/ca.crt' } as ClusterPki;
  const config = kubeletConfiguration(pki, { cert: '/k.crt', key: '/k.key' }, 'thanos-testground-1-x');
  expect(config).toMatchObject({ resolvConf: '', protectKernelDefaults: true, address: NODE_IP, cgroupRoot: '/thanos-testground-1-x' });
  expect(config.authentication).toMatchObject({ anonymous: { enabled: false } });
});

test('kube-proxy serves NodePorts on the node\'s LAN and touches no global kernel setting', () => {
  const config = kubeProxyConfiguration('/kubeconfig');
  expect(config).toMatchObject({
    nodePortAddresses: ['10.250.0.0/24'],
    iptables: { localhostNodePorts: false },
    conntrack: { maxPerCore: 0, min: 0 },
  });
});

test('the TKE stand-in answers to the three consumers\' images, and Thanos runs as uid 1001 with a shell', () => {
  const images = nodeImages(pinnedVersions(), ['sh', 'mkdir']);
  const thanos = images.find((i) => i.name === 'thanos');
  expect(thanos).toMatchObject({ references: [DEFAULT_THANOS_IMAGE, UPGRADE_THANOS_IMAGE], entrypoint: ['/bin/thanos'], user: '1001' });
  expect(thanos?.files).toEqual(expect.arrayContaining([{ path: 'bin/sh', linkTo: 'busybox' }]));
  expect(images.find((i) => i.name === 'tke-standin')?.references).toEqual([
    'registry.tke.com/library/tke-monitor-api-amd64:v1.9.2',
    'registry.tke.com/library/tke-monitor-controller-amd64:v1.9.2',
    'registry.tke.com/library/tke-platform-controller-amd64:v1.9.2',
  ]);
});
