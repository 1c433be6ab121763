/**
 * `thanos-installer plan` and `POST /api/cluster?dryRun=All` against the real
 * API server: what an install would create, change or be refused, computed
 * with server-side dry-runs, and never a change to the cluster.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InstallPlan } from '../../src/render/plan';
import { startApi, type RunningApi } from '../support/api';
import { cli } from '../support/cli';
import { eventually } from '../support/eventually';
import { nodePorts, objectVersions, ownedNamespaces, seedRequest, startWorkerAndClient, type RunningWorker, type SeedRequest } from '../support/install';
import { testGround } from '../support/testground';

jest.setTimeout(180_000);

const { coordinates, kc } = testGround();
const namespaces = ownedNamespaces(kc);
const dir = mkdtempSync(join(tmpdir(), 'plan-test-'));
const cluster = `plan-${Date.now().toString(36)}`;
let env: RunningWorker;
let server: RunningApi;
let namespace: string;

beforeAll(async () => {
  env = await startWorkerAndClient(coordinates, 'plan');
  namespace = await namespaces.create('plan');
  server = await startApi(coordinates, env, namespace);
});
afterAll(async () => {
  await server?.app.close();
  await env?.stop();
  await namespaces.deleteAll();
});

function requestFor(edit: (r: SeedRequest) => void = () => {}): SeedRequest {
  return seedRequest(coordinates, (r) => {
    r.cluster.metadata = { name: cluster };
    r.config.monitor.thanos.nodePorts = nodePorts(32511);
    edit(r);
  });
}

async function plan(request: SeedRequest): Promise<InstallPlan> {
  const answer = await server.api.plan(request);
  expect(answer.httpStatus).toBe(200);
  return answer.body;
}

/** `thanos-installer plan -f <request>` against the test's API. */
async function planCli(request: SeedRequest, ...extra: string[]) {
  const file = join(dir, `${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(request));
  return cli(['plan', '-f', file, '--server', server.url, '--token', server.token, ...extra]);
}

test('before an install: every Thanos object would be created and every TKE key changed, and nothing moves', async () => {
  const before = await objectVersions(kc, namespace);
  const planned = await plan(requestFor());
  expect(planned.objects.length).toBeGreaterThan(10);
  expect(planned.objects.filter((o) => o.action !== 'create')).toEqual([]);
  expect(planned.tkeConfig.map((k) => `${k.configMap}/${k.action}`).sort()).toEqual([
    'tke-monitor-api/change', 'tke-monitor-controller/change', 'tke-monitor-controller/change', 'tke-platform-controller/change',
  ]);
  expect(planned).toMatchObject({ changes: true, refused: false });
  const run = await planCli(requestFor());
  expect(run.code).toBe(3);
  expect(run.stdout).toContain('+ create StatefulSet/thanos-receive');
  expect(run.stdout.trim().split('\n').at(-1)).toBe('changes');
  expect(await objectVersions(kc, namespace)).toEqual(before);
  await expect(env.client.workflow.getHandle(`thanos-installer-${cluster}`).describe()).rejects.toThrow(/not found/i);
});

describe('after the install', () => {
  let installed: string[];

  beforeAll(async () => {
    expect((await server.api.install(requestFor())).httpStatus).toBe(202);
    await eventually('the install succeeded', async () => {
      const answer = await server.api.progress(cluster);
      if (answer.body.status === 'Failed') throw new Error(answer.body.data);
      return answer.body.status === 'Success' ? true : undefined;
    }, 120_000);
    installed = await objectVersions(kc, namespace);
  });
  afterEach(async () => {
    // A plan changes nothing, whatever it finds.
    expect(await objectVersions(kc, namespace)).toEqual(installed);
  });

  test('the same request: no changes, exit 0', async () => {
    const planned = await plan(requestFor());
    expect(planned.objects.filter((o) => o.action !== 'unchanged')).toEqual([]);
    expect(planned).toMatchObject({ changes: false, refused: false, restarts: [] });
    const run = await planCli(requestFor());
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('no changes');
  });

  test('more Query replicas: the Deployment\'s replicas change, no pod restarts', async () => {
    const planned = await plan(requestFor((r) => {
      r.config.monitor.thanos.replicas = { query: 2 };
    }));
    expect(planned.objects.filter((o) => o.action !== 'unchanged')).toEqual([
      { object: 'Deployment/thanos-query', action: 'change', changes: [{ path: 'spec.replicas', before: '1', after: '2' }] },
    ]);
    expect(planned.restarts).toEqual([]);
  });

  test('new bucket credentials: the objstore Secret changes, its values never shown, and every pod that reads it would restart', async () => {
    const secret = 'a-new-secret-key-never-shown';
    const answer = await server.api.plan(requestFor((r) => {
      r.config.monitor.thanos.bucketConfig.config.secret_key = secret;
    }));
    expect(JSON.stringify(answer.body)).not.toContain(secret);
    const changed = answer.body.objects.filter((o) => o.action !== 'unchanged');
    expect(changed.find((o) => o.object === 'Secret/thanos-objstore-config')?.changes).toEqual([
      { path: 'data.objstore.yml', before: '******', after: '******' },
    ]);
    const readers = ['compact', 'receive', 'rule', 'store'].map((c) => `StatefulSet/thanos-${c}`);
    expect(changed.map((o) => o.object).sort()).toEqual(['Secret/thanos-objstore-config', ...readers]);
    expect(answer.body.restarts.sort()).toEqual(readers.map(
      (r) => `${r}: its pods restart (pod template changes at spec.template.metadata.annotations.thanos-installer.tkestack.io/objstore-sha256)`,
    ));
  });

  test('a bigger Receive volume on a StorageClass that cannot grow volumes is refused naming the field, the StorageClass and the ways out, exit 1', async () => {
    const bigger = requestFor((r) => {
      r.config.monitor.thanos.storage = { size: { receive: '80Gi' } };
    });
    const planned = await plan(bigger);
    const receive = planned.objects.find((o) => o.object === 'StatefulSet/thanos-receive');
    expect(receive).toMatchObject({ action: 'cannot-change-in-place', field: 'config.monitor.thanos.storage.size.receive' });
    expect(receive?.reason).toBe(
      'the claims of StatefulSet/thanos-receive cannot grow from 50Gi to 80Gi: StorageClass local-path does not allow volume expansion; ' +
        'keep 50Gi, set allowVolumeExpansion: true on the StorageClass if its provisioner can grow volumes, ' +
        'or uninstall and install again (with deleteVolumeClaims, the local data goes; what Receive uploaded stays in the bucket)',
    );
    expect(planned).toMatchObject({ refused: true });
    const run = await planCli(bigger);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('! cannot-change-in-place StatefulSet/thanos-receive: config.monitor.thanos.storage.size.receive: the claims of StatefulSet/thanos-receive cannot grow');
  });
});

test('a dry run with a wrong value is refused naming the query parameter', async () => {
  const response = await fetch(`${server.url}/api/cluster?dryRun=Server`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(requestFor()),
  });
  expect(response.status).toBe(400);
  expect(((await response.json()) as { message: string }).message).toBe("the query string is invalid: dryRun must be All, got 'Server'");
});
