/**
 * The seed's example installs end to end on the TKE fixture, a second install
 * of the same request changes nothing, and an uninstall puts TKE's original
 * configuration back byte for byte.
 */
import * as k8s from '@kubernetes/client-node';
import { parse as parseToml } from '@iarna/toml';
import { load } from 'js-yaml';
import { startInstall, startUninstall } from '../../src/client/installs';
import { CONFIG_HASH_ANNOTATION } from '../../src/activities/tke-config';
import { TKE_CONSUMERS, TKE_FIXTURE_CONFIG } from '../../src/testground/tke-fixture';
import { installThanos, uninstallThanos } from '../../src/workflows';
import { installInputFor, seedRequest, startWorkerAndClient, tkeNamespace, type RunningWorker } from '../support/install';
import { eventually } from '../support/eventually';
import { testGround } from '../support/testground';

jest.setTimeout(180_000);

const { coordinates, kc } = testGround();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const policy = kc.makeApiClient(k8s.PolicyV1Api);
const EDITED_KEYS: Record<string, string[]> = {
  'tke-monitor-api': ['tke-monitor-config.yaml'],
  'tke-monitor-controller': ['tke-monitor-config.yaml', 'tke-monitor-controller.toml'],
  'tke-platform-controller': ['tke-platform-controller.toml'],
};

let namespace: string;
let env: RunningWorker;
const clusterName = `seed-${Date.now().toString(36)}`;

beforeAll(async () => {
  namespace = await tkeNamespace(kc, 'install');
  env = await startWorkerAndClient(coordinates, 'install');
});
afterAll(async () => env?.stop());

/** Every object in the namespace with its resourceVersion, and every pod's uid. */
async function snapshot(): Promise<{ versions: Record<string, string>; pods: string[] }> {
  const versions: Record<string, string> = {};
  const record = (kind: string, items: k8s.KubernetesObject[]) => {
    for (const o of items) versions[`${kind}/${o.metadata?.name}`] = o.metadata?.resourceVersion ?? '';
  };
  record('Deployment', (await apps.listNamespacedDeployment({ namespace })).items);
  record('StatefulSet', (await apps.listNamespacedStatefulSet({ namespace })).items);
  record('Service', (await core.listNamespacedService({ namespace })).items);
  record('ConfigMap', (await core.listNamespacedConfigMap({ namespace })).items);
  record('Secret', (await core.listNamespacedSecret({ namespace })).items);
  record('PVC', (await core.listNamespacedPersistentVolumeClaim({ namespace })).items);
  record('PodDisruptionBudget', (await policy.listNamespacedPodDisruptionBudget({ namespace })).items);
  const pods = (await core.listNamespacedPod({ namespace })).items.map((p) => `${p.metadata?.name}/${p.metadata?.uid}`).sort();
  return { versions, pods };
}

describe('installing the seed example', () => {
  let podsBefore: string[];
  let result: Awaited<ReturnType<typeof installThanos>>;

  beforeAll(async () => {
    podsBefore = (await snapshot()).pods;
    const input = installInputFor(seedRequest(coordinates), clusterName, namespace);
    const started = await startInstall(env.client, input, env.taskQueue);
    result = await env.client.workflow.getHandle<typeof installThanos>(started.workflowId).result();
  });

  test('succeeds with every step done once, each with its own timing; on kwok\'s nodes the data path is not checked', () => {
    expect(result.phase).toBe('Succeeded');
    const [verify, ...others] = [...result.progress.steps].reverse();
    for (const step of others) {
      expect({ id: step.id, state: step.state, attempts: step.attempts }).toEqual({ id: step.id, state: 'succeeded', attempts: 1 });
      expect(step.finishedAt).toBeGreaterThan(step.startedAt as number);
    }
    expect(verify).toMatchObject({ id: 'verify-data-path', state: 'skipped', attempts: 0, result: expect.stringContaining('verifyDataPath is false') });
    expect(result.progress.notes.join('\n')).toContain('GLOBAL_NODE_IP is 127.0.1.1, the first machine');
  });

  test('every Thanos workload is ready', async () => {
    for (const name of ['thanos-receive', 'thanos-store', 'thanos-compact', 'thanos-rule']) {
      const sts = await apps.readNamespacedStatefulSet({ name, namespace });
      expect({ name, ready: sts.status?.readyReplicas }).toEqual({ name, ready: sts.spec?.replicas });
    }
    const query = await apps.readNamespacedDeployment({ name: 'thanos-query', namespace });
    expect(query.status?.availableReplicas).toBe(1);
  });

  test('receive is reachable on the seed table\'s NodePorts, query on 9090', async () => {
    const nodePort = await core.readNamespacedService({ name: 'thanos-receive-nodeport', namespace });
    const ports = Object.fromEntries((nodePort.spec?.ports ?? []).map((p) => [p.nodePort, p.port]));
    expect(nodePort.spec?.type).toBe('NodePort');
    expect(ports).toEqual({ 31139: 10901, 31140: 10902, 31141: 19291 });
    const query = await core.readNamespacedService({ name: 'thanos-query', namespace });
    expect(query.spec?.ports?.map((p) => p.port).sort()).toEqual([10901, 9090]);
  });

  test('the three ConfigMaps hold exactly the new values and everything else unchanged', async () => {
    const queryAddress = `http://thanos-query.${namespace}.svc.cluster.local:9090`;
    for (const name of TKE_CONSUMERS) {
      const cm = await core.readNamespacedConfigMap({ name, namespace });
      const original = TKE_FIXTURE_CONFIG[name];
      for (const key of Object.keys(original)) {
        if (EDITED_KEYS[name]?.includes(key)) continue;
        expect({ name, key, text: cm.data?.[key] }).toEqual({ name, key, text: original[key] });
      }
      expect(Object.keys(cm.data ?? {}).sort()).toEqual(Object.keys(original).sort());
      if (name !== 'tke-platform-controller') {
        const config = load(cm.data?.['tke-monitor-config.yaml'] as string) as Record<string, unknown>;
        expect(config).toEqual({
          apiVersion: 'monitor.config.tkestack.io/v1',
          kind: 'MonitorConfiguration',
          storage: { thanos: { servers: [{ address: queryAddress }] } },
        });
      }
    }
    for (const [name, key] of [
      ['tke-monitor-controller', 'tke-monitor-controller.toml'],
      ['tke-platform-controller', 'tke-platform-controller.toml'],
    ] as const) {
      const cm = await core.readNamespacedConfigMap({ name, namespace });
      const after = parseToml(cm.data?.[key] as string) as Record<string, Record<string, unknown>>;
      const before = parseToml(TKE_FIXTURE_CONFIG[name][key] as string) as Record<string, Record<string, unknown>>;
      expect(after.features).toEqual({
        ...before.features,
        monitor_storage_type: 'thanos',
        monitor_storage_addresses: 'http://127.0.1.1:31141',
      });
      expect({ ...after, features: undefined }).toEqual({ ...before, features: undefined });
    }
  });

  test('the three TKE Deployments rolled out again with new pods', async () => {
    const podsAfter = (await snapshot()).pods;
    for (const name of TKE_CONSUMERS) {
      const deployment = await apps.readNamespacedDeployment({ name, namespace });
      expect(deployment.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
      expect(deployment.status?.updatedReplicas).toBe(1);
      const before = podsBefore.filter((p) => p.startsWith(`${name}-`));
      const after = podsAfter.filter((p) => p.startsWith(`${name}-`));
      expect(after).toHaveLength(1);
      expect(after).not.toEqual(before);
    }
  });

  test('installing the same request again changes nothing: no resourceVersion moves, no pod restarts', async () => {
    const before = await snapshot();
    // Every kind the install writes is in the snapshot, so a change to any of them shows.
    expect(new Set(Object.keys(before.versions).map((k) => k.split('/')[0]))).toEqual(
      new Set(['Deployment', 'StatefulSet', 'Service', 'ConfigMap', 'Secret', 'PVC', 'PodDisruptionBudget']),
    );
    const input = installInputFor(seedRequest(coordinates), clusterName, namespace);
    const started = await startInstall(env.client, input, env.taskQueue);
    const result = await env.client.workflow.getHandle<typeof installThanos>(started.workflowId).result();
    expect(result.phase).toBe('Succeeded');
    const restart = result.progress.steps.find((s) => s.id === 'restart-consumers');
    expect(restart?.result).toContain('restarted: none');
    const after = await snapshot();
    expect(after).toEqual(before);
  });

  test('a changed bucket configuration reaches running pods: those that read it at start-up roll, Query does not', async () => {
    const before = await snapshot();
    const moved = seedRequest(coordinates, (r) => {
      (r.config.monitor.thanos.bucketConfig as { prefix?: string }).prefix = 'tke/moved';
    });
    const started = await startInstall(env.client, installInputFor(moved, clusterName, namespace), env.taskQueue);
    expect((await env.client.workflow.getHandle<typeof installThanos>(started.workflowId).result()).phase).toBe('Succeeded');
    const after = await snapshot();
    const podsOf = (pods: string[], component: string) => pods.filter((p) => p.startsWith(`thanos-${component}-`));
    for (const reader of ['store', 'compact', 'rule', 'receive']) {
      const statefulSet = await apps.readNamespacedStatefulSet({ name: `thanos-${reader}`, namespace });
      expect(statefulSet.spec?.template.metadata?.annotations?.['thanos-installer.tkestack.io/objstore-sha256']).toMatch(/^[0-9a-f]{64}$/);
      expect(after.versions[`StatefulSet/thanos-${reader}`]).not.toBe(before.versions[`StatefulSet/thanos-${reader}`]);
      await eventually(`thanos-${reader}'s pods were replaced`, async () => {
        const now = (await snapshot()).pods;
        return podsOf(now, reader).length > 0 && podsOf(now, reader).every((p) => !podsOf(before.pods, reader).includes(p)) ? true : undefined;
      }, 60_000);
    }
    expect(after.versions['Deployment/thanos-query']).toBe(before.versions['Deployment/thanos-query']);
    expect(podsOf((await snapshot()).pods, 'query')).toEqual(podsOf(before.pods, 'query'));
  });

  test('uninstall restores the original ConfigMaps byte for byte, removes Thanos and keeps its volume claims', async () => {
    const started = await startUninstall(env.client, { clusterName, namespace }, env.taskQueue);
    const result = await env.client.workflow.getHandle<typeof uninstallThanos>(started.workflowId).result();
    expect(result.phase).toBe('Uninstalled');
    for (const name of TKE_CONSUMERS) {
      const cm = await core.readNamespacedConfigMap({ name, namespace });
      expect(cm.data).toEqual(TKE_FIXTURE_CONFIG[name]);
      const deployment = await apps.readNamespacedDeployment({ name, namespace });
      expect(deployment.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]).toBeUndefined();
    }
    const statefulSets = await apps.listNamespacedStatefulSet({ namespace });
    expect(statefulSets.items).toEqual([]);
    const services = await core.listNamespacedService({ namespace });
    expect(services.items.map((s) => s.metadata?.name)).toEqual([]);
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace });
    expect(claims.items.map((c) => c.metadata?.name).sort()).toEqual([
      'data-thanos-compact-0', 'data-thanos-receive-0', 'data-thanos-rule-0', 'data-thanos-store-0',
    ]);
  });
});
