/**
 * Taking an install away puts back only what the installer wrote: a TKE key
 * someone changed after the install stays as they left it, and the progress
 * says which and why. Every ConfigMap write carries the resourceVersion it
 * was computed from, so an edit that lands between the installer's read and
 * its write is never lost. Against the test ground's API server; the
 * activity-level tests call the activities as the worker does.
 */
import * as k8s from '@kubernetes/client-node';
import { MockActivityEnvironment } from '@temporalio/testing';
import { BACKUP_SECRET_NAME, tkeConfigActivities } from '../../src/activities/tke-config';
import { startInstall, startUninstall } from '../../src/client/installs';
import { tkeConfigEdits, tkeConfigTargets } from '../../src/render/tke';
import { originalKey, RECORDS_WRITTEN_ANNOTATION } from '../../src/render/tke/backup';
import { TKE_CONSUMERS, TKE_FIXTURE_CONFIG, type TkeConsumer } from '../../src/testground/tke-fixture';
import { installThanos, uninstallThanos } from '../../src/workflows';
import { progressQuery, rollbackUpdate } from '../../src/workflows/contracts';
import type { Progress, StepProgress } from '../../src/workflows/progress';
import { eventually } from '../support/eventually';
import {
  installInputFor,
  seedRequest,
  startWorkerAndClient,
  tkeNamespace,
  type RunningWorker,
  type SeedRequest,
} from '../support/install';
import { testGround } from '../support/testground';

jest.setTimeout(180_000);

const { coordinates, kc } = testGround();
const core = kc.makeApiClient(k8s.CoreV1Api);
const QUERY = (namespace: string) => `http://thanos-query.${namespace}.svc.cluster.local:9090`;
const REMOTE_WRITE = 'http://127.0.1.1:32303';
const MONITOR_TOML = 'tke-monitor-controller.toml';
const PLATFORM_TOML = 'tke-platform-controller.toml';
const MONITOR_CONFIG = 'tke-monitor-config.yaml';

/** An operator's edit of one key, made as `kubectl edit` would: a merge patch under a field manager of its own. */
async function operatorEdits(namespace: string, configMap: TkeConsumer, key: string, edit: (text: string) => string): Promise<string> {
  const text = edit((await core.readNamespacedConfigMap({ name: configMap, namespace })).data?.[key] as string);
  await core.patchNamespacedConfigMap(
    { name: configMap, namespace, body: { data: { [key]: text } }, fieldManager: 'kubectl-edit' },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  return text;
}

/** Runs an activity function as a worker would, with an activity context (heartbeats, cancellation). */
function run<P extends unknown[], R>(activity: (...args: P) => Promise<R>, ...args: P): Promise<R> {
  return new MockActivityEnvironment().run(activity, ...args);
}

async function dataOf(namespace: string, name: TkeConsumer): Promise<Record<string, string> | undefined> {
  return (await core.readNamespacedConfigMap({ name, namespace })).data;
}

/** Every ConfigMap holds the fixture's data byte for byte, but for the keys named, which hold what is given. */
async function expectFixtureBut(namespace: string, except: Partial<Record<TkeConsumer, Record<string, string>>> = {}): Promise<void> {
  for (const name of TKE_CONSUMERS) {
    expect({ name, data: await dataOf(namespace, name) }).toEqual({ name, data: { ...TKE_FIXTURE_CONFIG[name], ...except[name] } });
  }
}

/**
 * The test ground's KubeConfig; just before the first replace of one
 * ConfigMap goes out (the activity has read it and computed its write), it
 * lets someone else edit that ConfigMap.
 */
class EditBeforeFirstWrite extends k8s.KubeConfig {
  readonly writes: string[] = [];

  constructor(private readonly configMap: string, private readonly edit: () => Promise<unknown>) {
    super();
    this.loadFromFile(coordinates.kubernetes.kubeconfig);
  }

  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    const path = new URL(context.getUrl()).pathname;
    if (context.getHttpMethod() === k8s.HttpMethod.PUT && path.endsWith(`/configmaps/${this.configMap}`)) {
      this.writes.push(path);
      if (this.writes.length === 1) await this.edit();
    }
    return super.applySecurityAuthentication(context);
  }
}

describe('after an operator changed one of the keys the install wrote', () => {
  let env: RunningWorker;
  beforeAll(async () => {
    env = await startWorkerAndClient(coordinates, 'restore');
  });
  afterAll(async () => env?.stop());

  /** A namespace with the TKE fixture and a finished install, receive's remote write on `port`. */
  async function installed(prefix: string, port: number): Promise<{ namespace: string; clusterName: string; request: SeedRequest }> {
    const namespace = await tkeNamespace(kc, prefix);
    const clusterName = `${prefix}-${Date.now().toString(36)}`;
    const request = seedRequest(coordinates, (r) => {
      r.config.monitor.thanos.nodePorts = { receiveGrpc: port - 2, receiveHttp: port - 1, receiveRemoteWrite: port };
    });
    const started = await startInstall(env.client, installInputFor(request, clusterName, namespace), env.taskQueue);
    expect((await env.client.workflow.getHandle<typeof installThanos>(started.workflowId).result()).phase).toBe('Succeeded');
    return { namespace, clusterName, request };
  }

  /** The restore step's result and the notes name the key left and why; every other key is back byte for byte. */
  async function expectLeftAndNamed(namespace: string, progress: Progress, steps: StepProgress[], configMap: TkeConsumer, key: string, edited: string) {
    await expectFixtureBut(namespace, { [configMap]: { [key]: edited } });
    const others = tkeConfigTargets().filter((t) => t.configMap !== configMap || t.key !== key).map((t) => `${t.configMap}/${t.key}`);
    const restore = steps.find((s) => s.id === 'restore-consumers');
    expect(restore?.state).toBe('succeeded');
    expect(restore?.result).toMatch(
      new RegExp(
        `^restored: ${others.join(', ')}; left as it is: ConfigMap ${configMap} key ${key} \\(it was changed after the installer wrote it\\); restarted: `,
      ),
    );
    expect(progress.notes.filter((n) => n.includes('was left as it is'))).toEqual([
      `ConfigMap ${configMap} key ${key} was left as it is, not restored to its original: ` +
        'it was changed after the installer wrote it. Make sure it no longer points at Thanos, which is removed.',
    ]);
    expect(progress.message).toMatch(/Thanos is removed and TKE's original configuration is restored except 1 key\(s\) changed since the install, left as they are \(see the notes\)$/);
  }

  test('uninstall leaves that key as the operator left it, restores every other byte for byte, and says which key and why', async () => {
    const { namespace, clusterName } = await installed('edited', 32303);
    const edited = await operatorEdits(namespace, 'tke-monitor-controller', MONITOR_TOML, (text) =>
      text.replace('container_namespace = "library"', 'container_namespace = "mirror"'),
    );
    expect(edited).toContain('monitor_storage_addresses = "http://127.0.1.1:32303"');

    const started = await startUninstall(env.client, { clusterName, namespace }, env.taskQueue);
    const result = await env.client.workflow.getHandle<typeof uninstallThanos>(started.workflowId).result();
    expect(result.phase).toBe('Uninstalled');
    await expectLeftAndNamed(namespace, result.progress, result.progress.steps, 'tke-monitor-controller', MONITOR_TOML, edited);
  });

  test('rolling back a failed upgrade does the same', async () => {
    const { namespace, clusterName, request } = await installed('edited-rollback', 32306);
    const upgrade = structuredClone(request);
    upgrade.config.monitor.thanos.bucketConfig.config.secret_key = 'not-the-minio-secret-1';
    const started = await startInstall(env.client, installInputFor(upgrade, clusterName, namespace), env.taskQueue);
    const handle = env.client.workflow.getHandle<typeof installThanos>(started.workflowId);
    await eventually('the upgrade waits for the operator', async () => {
      const progress = await handle.query(progressQuery);
      return progress.phase === 'WaitingForOperator' ? progress : undefined;
    }, 60_000);
    const edited = await operatorEdits(namespace, 'tke-monitor-api', MONITOR_CONFIG, (text) => `${text}# pointed at Thanos by the install\n`);

    await handle.executeUpdate(rollbackUpdate, { args: [{}] });
    const result = await handle.result();
    expect(result.phase).toBe('RolledBack');
    await expectLeftAndNamed(namespace, result.progress, result.progress.rollbackSteps, 'tke-monitor-api', MONITOR_CONFIG, edited);
  });
});

describe('an edit made between the installer\'s read of a ConfigMap and its write', () => {
  test('during reconfiguration is kept: the write is refused, and the new text is computed from the operator\'s', async () => {
    const namespace = await tkeNamespace(kc, 'race-write');
    const interleaved = new EditBeforeFirstWrite('tke-monitor-controller', () =>
      Promise.all([
        operatorEdits(namespace, 'tke-monitor-controller', MONITOR_TOML, (text) =>
          text.replace('container_namespace = "library"', 'container_namespace = "mirror"'),
        ),
        operatorEdits(namespace, 'tke-monitor-controller', 'operator-note.txt', () => 'kept\n'),
      ]),
    );
    const result = await run(tkeConfigActivities(interleaved).reconfigureConsumers, namespace, tkeConfigEdits(QUERY(namespace), REMOTE_WRITE));

    expect(result.changed).toEqual([
      'tke-monitor-api/tke-monitor-config.yaml',
      'tke-monitor-controller/tke-monitor-config.yaml',
      'tke-monitor-controller/tke-monitor-controller.toml',
      'tke-platform-controller/tke-platform-controller.toml',
    ]);
    // The first write went out computed from the text before the edit; the API server refused it.
    expect(interleaved.writes).toHaveLength(2);
    const data = await dataOf(namespace, 'tke-monitor-controller');
    expect(data?.['operator-note.txt']).toBe('kept\n');
    expect(data?.[MONITOR_TOML]).toContain('container_namespace = "mirror"');
    expect(data?.[MONITOR_TOML]).toContain(`[features]\nmonitor_storage_type = "thanos"\nmonitor_storage_addresses = "${REMOTE_WRITE}"\n`);
  });

  test('during a restore is kept: the key is left as the operator made it and reported, the others restored byte for byte', async () => {
    const namespace = await tkeNamespace(kc, 'race-restore');
    const activities = tkeConfigActivities(kc);
    await run(activities.reconfigureConsumers, namespace, tkeConfigEdits(QUERY(namespace), REMOTE_WRITE));
    let edited = '';
    const interleaved = new EditBeforeFirstWrite('tke-monitor-api', async () => {
      edited = await operatorEdits(namespace, 'tke-monitor-api', MONITOR_CONFIG, (text) =>
        text.replace(QUERY(namespace), 'http://thanos-query.elsewhere.svc.cluster.local:9090'),
      );
    });
    const result = await run(tkeConfigActivities(interleaved).restoreConsumers, namespace, tkeConfigTargets(), 60);

    expect(result.left).toEqual([{ configMap: 'tke-monitor-api', key: MONITOR_CONFIG, reason: 'it was changed after the installer wrote it' }]);
    expect(result.restored).toEqual([
      'tke-monitor-controller/tke-monitor-config.yaml',
      'tke-monitor-controller/tke-monitor-controller.toml',
      'tke-platform-controller/tke-platform-controller.toml',
    ]);
    // The restore's one write of tke-monitor-api was refused; read again, the key was the operator's, so nothing more was written.
    expect(interleaved.writes).toHaveLength(1);
    expect(edited).toContain('elsewhere');
    await expectFixtureBut(namespace, { 'tke-monitor-api': { [MONITOR_CONFIG]: edited } });
  });
});

describe('a backup made by the first release, which recorded nothing of what it wrote', () => {
  test('restores each key that holds exactly what that release wrote, and leaves the one an operator changed', async () => {
    const namespace = await tkeNamespace(kc, 'earlier-backup');
    const activities = tkeConfigActivities(kc);
    await run(activities.reconfigureConsumers, namespace, tkeConfigEdits(QUERY(namespace), REMOTE_WRITE));
    // The Secret as the first release left it: the originals and nothing else.
    const backup = await core.readNamespacedSecret({ name: BACKUP_SECRET_NAME, namespace });
    expect(backup.metadata?.annotations?.[RECORDS_WRITTEN_ANNOTATION]).toBe('sha256');
    const originals = Object.fromEntries(tkeConfigTargets().map((t) => [originalKey(t), backup.data?.[originalKey(t)] as string]));
    await core.replaceNamespacedSecret({
      name: BACKUP_SECRET_NAME,
      namespace,
      body: { metadata: { name: BACKUP_SECRET_NAME, namespace, resourceVersion: backup.metadata?.resourceVersion }, type: 'Opaque', data: originals },
    });
    const edited = await operatorEdits(namespace, 'tke-platform-controller', PLATFORM_TOML, (text) =>
      text.replace('skip_conditions = ["EnsureDocker"]', 'skip_conditions = ["EnsureDocker", "EnsureNTP"]'),
    );

    const result = await run(activities.restoreConsumers, namespace, tkeConfigTargets(), 60);
    expect(result.left).toEqual([{ configMap: 'tke-platform-controller', key: PLATFORM_TOML, reason: 'it was changed after the installer wrote it' }]);
    await expectFixtureBut(namespace, { 'tke-platform-controller': { [PLATFORM_TOML]: edited } });
  });
});
