/**
 * The TKE fixture makes the kwok cluster look like a TKEStack global cluster:
 * the three consumers run, each with its ConfigMap mounted at /app/conf.
 */
import * as k8s from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { parse } from '@iarna/toml';
import { installTkeFixture, TKE_CONSUMERS, TKE_FIXTURE_CONFIG } from '../../src/testground/tke-fixture';
import { testGround } from '../support/testground';

jest.setTimeout(120_000);

const { kc } = testGround();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);

beforeAll(async () => {
  await installTkeFixture(kc);
});

test.each(TKE_CONSUMERS)('%s runs and mounts its ConfigMap at /app/conf', async (name) => {
  const deployment = await apps.readNamespacedDeployment({ name, namespace: 'tke' });
  expect(deployment.status?.availableReplicas).toBe(1);
  const pod = deployment.spec?.template.spec;
  const volume = pod?.volumes?.find((v) => v.configMap?.name === name);
  expect(volume).toBeDefined();
  const mount = pod?.containers[0]?.volumeMounts?.find((m) => m.name === volume?.name);
  expect(mount?.mountPath).toBe('/app/conf');
  expect(mount?.subPath).toBeUndefined();
  const cm = await core.readNamespacedConfigMap({ name, namespace: 'tke' });
  expect(cm.data).toEqual(TKE_FIXTURE_CONFIG[name]);
});

test('the monitor ConfigMaps start on InfluxDB and the controllers agree', () => {
  for (const name of ['tke-monitor-api', 'tke-monitor-controller'] as const) {
    const config = load(TKE_FIXTURE_CONFIG[name]['tke-monitor-config.yaml'] as string) as {
      apiVersion: string;
      storage: Record<string, unknown>;
    };
    expect(config.apiVersion).toBe('monitor.config.tkestack.io/v1');
    expect(Object.keys(config.storage)).toEqual(['influxDB']);
  }
  for (const [name, file] of [
    ['tke-monitor-controller', 'tke-monitor-controller.toml'],
    ['tke-platform-controller', 'tke-platform-controller.toml'],
  ] as const) {
    const toml = parse(TKE_FIXTURE_CONFIG[name][file] as string) as { features: Record<string, string> };
    expect(toml.features.monitor_storage_type).toBe('influxdb');
  }
  // The unrelated keys an install must leave untouched are there.
  expect(Object.keys(TKE_FIXTURE_CONFIG['tke-monitor-api'])).toEqual(
    expect.arrayContaining(['tke-monitor-api.toml', 'tke-platform-config.yaml', 'tke-auth-webhook.yaml']),
  );
});

test('installing the fixture again changes nothing', async () => {
  const before = await core.readNamespacedConfigMap({ name: 'tke-monitor-api', namespace: 'tke' });
  const deploymentBefore = await apps.readNamespacedDeployment({ name: 'tke-monitor-api', namespace: 'tke' });
  await installTkeFixture(kc);
  const after = await core.readNamespacedConfigMap({ name: 'tke-monitor-api', namespace: 'tke' });
  const deploymentAfter = await apps.readNamespacedDeployment({ name: 'tke-monitor-api', namespace: 'tke' });
  expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  expect(deploymentAfter.metadata?.resourceVersion).toBe(deploymentBefore.metadata?.resourceVersion);
});
