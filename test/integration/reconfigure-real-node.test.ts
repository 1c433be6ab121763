/**
 * Day 2 on the real node, under load: while eight series get a sample each
 * every 200 ms through Receive's NodePort and a real Prometheus remote-writes
 * beside them, Receive scales 1 -> 3 -> 2, the bucket credentials change and the
 * image tag is upgraded, each as a reconfiguration. Afterwards Query returns
 * every sample Receive acknowledged; the writes refused during each change
 * are counted and printed.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { startInstall, startReconfigure } from '../../src/client/installs';
import type { ThanosSettings } from '../../src/request/defaults';
import { apiServerGetJson } from '../../src/kube/proxy';
import { businessRemoteWriteUrl } from '../../src/testground/data-path';
import { startGroundWorker } from '../../src/testground/ground-worker';
import { startBusinessPrometheus } from '../../src/testground/node/business-cluster';
import { UPGRADE_THANOS_IMAGE } from '../../src/testground/node/images';
import type { ManagedProcess } from '../../src/testground/process';
import { installThanos, reconfigureThanos } from '../../src/workflows';
import { eventually } from '../support/eventually';
import { relayIntoGround, type GroundRelay } from '../support/ground-relay';
import { connectTestClient, installInputFor, removeRealNodeInstall, nodePorts, seedRequest, tkeNamespace } from '../support/install';
import { assumeRole } from '../support/minio-sts';
import { testGround } from '../support/testground';
import { missingAcknowledged, startWriteLoad } from '../support/write-load';
import { describePhase, describeReadBack } from '../support/write-load-report';

jest.setTimeout(900_000);

const run = promisify(execFile);
const { coordinates: c, kc } = testGround();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const clusterName = `day2real-${Date.now().toString(36)}`;
const businessCluster = `cls-day2-${Date.now().toString(36)}`;

let namespace: string;
let worker: ManagedProcess;
let client: Awaited<ReturnType<typeof connectTestClient>>;
let taskQueue: string;
let installed: ThanosSettings | undefined;
let relay: GroundRelay | undefined;
let prometheus: ManagedProcess | undefined;

/** The business Prometheus's own counters of its remote-write queue (it listens inside the business cluster's network). */
async function prometheusCounters(): Promise<{ total: number; retried: number; failed: number }> {
  const { stdout } = await run('nsenter', ['-t', String(c.businessCluster.netnsPid), '-n', '--', 'bash', '-c',
    'exec 3<>/dev/tcp/127.0.0.1/9090 && printf "GET /metrics HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3'], { maxBuffer: 16 * 1024 * 1024 });
  const sum = (name: string) => stdout.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((total, l) => total + Number(l.split(' ').pop()), 0);
  return {
    total: sum('prometheus_remote_storage_samples_total'),
    retried: sum('prometheus_remote_storage_samples_retried_total'),
    failed: sum('prometheus_remote_storage_samples_failed_total'),
  };
}

/**
 * Prometheus scrapes every second. With a replication factor of 1, a Receive
 * replica that restarts answers 409 to Prometheus's retried samples older
 * than what it flushed at start, and Prometheus drops them: holes of about
 * 5 s were seen. A longer hole means a component's data went missing.
 */
const MAX_SCRAPE_GAP_SECONDS = 15;

/**
 * Series written beside the reported one, the same way: a replica that stops
 * for good holds back its newest sample unless the installer pinned its head,
 * and with this many series that sample is almost surely one of theirs.
 */
const OTHER_SERIES = 7;

/** The longest time between consecutive samples of a series, as Query returns it (deduplicated), between two moments. */
async function longestGapSeconds(selector: string, fromMs: number, toMs: number): Promise<number> {
  const window = Math.ceil((toMs - fromMs) / 1000);
  const path = `/api/v1/namespaces/${namespace}/services/http:thanos-query:9090/proxy/api/v1/query?` +
    new URLSearchParams({ query: `${selector}[${window}s]`, time: String(toMs / 1000), dedup: 'true', partial_response: 'false' }).toString();
  const answer = await apiServerGetJson<{ data: { result: { values: [number, string][] }[] } }>(kc, path);
  const times = (answer.data.result[0]?.values ?? []).map(([t]) => t).filter((t) => t * 1000 >= fromMs);
  if (times.length === 0) throw new Error(`Query returned no samples of ${selector}`);
  return times.slice(1).reduce((longest, t, i) => Math.max(longest, t - (times[i] as number)), (times[0] as number) - fromMs / 1000);
}

beforeAll(async () => {
  namespace = await tkeNamespace(kc, 'day2real', 'real');
  taskQueue = `day2real-${Date.now().toString(36)}`;
  worker = startGroundWorker(c, taskQueue);
  client = await connectTestClient(c);
  const input = installInputFor(seedRequest(c, (r) => {
    r.config.monitor.thanos.nodePorts = nodePorts(32561);
  }, 'real'), clusterName, namespace, { readinessTimeoutSeconds: 180, rolloutTimeoutSeconds: 180 });
  const started = await startInstall(client, input, taskQueue);
  const result = await client.workflow.getHandle<typeof installThanos>(started.workflowId).result();
  expect(result.phase).toBe('Succeeded');
  installed = result.settings;
  const remoteWriteUrl = await businessRemoteWriteUrl(kc, namespace);
  relay = await relayIntoGround(c, remoteWriteUrl);
  prometheus = await startBusinessPrometheus(c.businessCluster, {
    remoteWriteUrl,
    externalLabels: { cluster: businessCluster },
    dir: join(c.runDir, `business-${businessCluster}`),
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await relay?.stop();
  await removeRealNodeInstall(kc, { client, worker, installed: installed !== undefined, clusterName, namespace, taskQueue });
});

test('scale 1 -> 3 -> 2, new bucket credentials and an image upgrade under continuous writes: every acknowledged sample is returned by Query', async () => {
  let current = installed as ThanosSettings;
  const temporary = await assumeRole(c.s3);
  const changes: { name: string; settings: (s: ThanosSettings) => ThanosSettings }[] = [
    { name: 'scale up 1 -> 3', settings: (s) => ({ ...s, replicas: { ...s.replicas, receive: 3 } }) },
    { name: 'scale down 3 -> 2', settings: (s) => ({ ...s, replicas: { ...s.replicas, receive: 2 } }) },
    {
      name: 'credential change',
      settings: (s) => ({
        ...s,
        bucketConfig: {
          ...s.bucketConfig,
          config: { ...s.bucketConfig.config, access_key: temporary.accessKey, secret_key: temporary.secretKey, session_token: temporary.sessionToken },
        } as ThanosSettings['bucketConfig'],
      }),
    },
    { name: 'image upgrade', settings: (s) => ({ ...s, image: UPGRADE_THANOS_IMAGE }) },
  ];
  const durations: string[] = [];
  const rollOuts = new Map<string, string>();
  const counters = await prometheusCounters();
  const loadStarted = Date.now();
  const series = (i: number) => startWriteLoad({ url: relay?.url as string, labels: { __name__: 'thanos_installer_load', run: clusterName, series: String(i) }, phase: 'steady', timeoutMs: 2_000 });
  const load = series(0);
  const others = Array.from({ length: OTHER_SERIES }, (_, i) => series(i + 1));
  const allLoads = [load, ...others];
  try {
    await eventually('ten writes were acknowledged', async () => (load.records().filter((r) => r.acknowledged).length >= 10 ? true : undefined), 30_000);
    for (const change of changes) {
      for (const l of allLoads) l.phase(change.name);
      const next = change.settings(current);
      const began = Date.now();
      const started = await startReconfigure(client, { clusterName, from: current, settings: next, readinessTimeoutSeconds: 180, rolloutTimeoutSeconds: 180 }, taskQueue);
      const result = await client.workflow.getHandle<typeof reconfigureThanos>(started.workflowId, started.runId).result();
      const failed = result.progress.steps.find((s) => s.state === 'failed');
      expect([result.phase, failed?.lastError]).toEqual(['Succeeded', undefined]);
      const rolledOut = result.progress.steps.find((s) => s.id === 'roll-out-thanos')?.result ?? '';
      rollOuts.set(change.name, rolledOut);
      durations.push(`${change.name}: ${((Date.now() - began) / 1000).toFixed(1)} s; ${rolledOut}`);
      current = next;
    }
    for (const l of allLoads) l.phase('after');
    await eventually('ten writes were acknowledged after the last change', async () =>
      (load.records().filter((r) => r.phase === 'after' && r.acknowledged).length >= 10 ? true : undefined), 60_000);
  } finally {
    await Promise.all(allLoads.map((l) => l.stop()));
  }
  const loadEnded = Date.now();
  const readBack = await missingAcknowledged(kc, namespace, load, { waitMs: 120_000 });
  const othersBack = await Promise.all(others.map((l) => missingAcknowledged(kc, namespace, l, { waitMs: 30_000 })));
  const othersMissing = others.flatMap((l, i) => (othersBack[i]?.missing ?? []).map((t) => `${l.selector} ${new Date(t).toISOString()} (written during ${l.records().find((r) => r.timestampMs === t)?.phase})`));
  const after = await prometheusCounters();
  const prometheusLine = `business Prometheus: ${after.total - counters.total} samples sent, ${after.retried - counters.retried} retried, ${after.failed - counters.failed} dropped`;
  const gap = await longestGapSeconds(`up{cluster="${businessCluster}"}`, loadStarted, loadEnded);
  const reasons = load.report().filter((r) => r.refused > 0).map((r) => `${r.phase} refusals: ${JSON.stringify(r.reasons)}`);
  console.log(['per change:', ...durations, ...load.report().map(describePhase), ...reasons, describeReadBack(readBack, readBack.waitedMs), prometheusLine,
    `longest gap in the business Prometheus's up series, as Query returns it: ${gap.toFixed(1)} s`,
    `${OTHER_SERIES} more series: ${othersBack.reduce((n, r) => n + r.found, 0)} of ${othersBack.reduce((n, r) => n + r.acknowledged, 0)} acknowledged samples returned; missing: ${othersMissing.join(', ') || 'none'}`,
    `missing acknowledged samples: ${readBack.missing.map((t) => `${new Date(t).toISOString()} (written during ${load.records().find((r) => r.timestampMs === t)?.phase})`).join(', ') || 'none'}; of them returned without deduplication: ${readBack.missingButStored.length}`].join('\n'));

  // Every acknowledged sample of every series, whatever change it was written during, is returned by Query.
  expect(readBack.missing).toEqual([]);
  expect(readBack.found).toBe(readBack.acknowledged);
  expect(othersMissing).toEqual([]);
  // Replica 2 left with a marker as its newest sample, so its last flush uploaded every real one.
  expect([...rollOuts].find(([name]) => name.includes('3 -> 2'))?.[1]).toContain('replicas 2 left with a marker as their newest sample');
  // The real Prometheus's own series has no hole longer than a restart's.
  expect(await longestGapSeconds(`up{cluster="${businessCluster}"}`, loadStarted, loadEnded)).toBeLessThanOrEqual(MAX_SCRAPE_GAP_SECONDS);
  // Receive ends with two replicas in its hashring, replica 2 stopped, its data kept on its claim.
  const hashrings = (await core.readNamespacedConfigMap({ name: 'thanos-receive-hashring', namespace })).data?.['hashrings.json'] ?? '';
  expect((JSON.parse(hashrings) as { endpoints: string[] }[])[0]?.endpoints).toHaveLength(2);
  expect((await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=thanos-receive' })).items.map((p) => p.metadata?.name).sort())
    .toEqual(['thanos-receive-0', 'thanos-receive-1']);
  await core.readNamespacedPersistentVolumeClaim({ name: 'data-thanos-receive-2', namespace });
  // Every component runs the upgraded image.
  for (const name of ['thanos-store', 'thanos-compact', 'thanos-rule', 'thanos-receive']) {
    expect((await apps.readNamespacedStatefulSet({ name, namespace })).spec?.template.spec?.containers[0]?.image).toBe(UPGRADE_THANOS_IMAGE);
  }
  expect((await apps.readNamespacedDeployment({ name: 'thanos-query', namespace })).spec?.template.spec?.containers[0]?.image).toBe(UPGRADE_THANOS_IMAGE);
});
