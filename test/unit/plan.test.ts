import { buildThanosSettings } from '../../src/request/defaults';
import { renderThanosObjects } from '../../src/render/thanos';
import { installPlan, leafChanges, objectChanges, objectName, planLines, restartsOf, type ObjectPlan } from '../../src/render/plan';

const request = { bucketConfig: { type: 'S3' as const, config: { bucket: 'thanos', endpoint: '127.0.0.1:9000', access_key: 'a', secret_key: 'b', insecure: true } } };
const nodeIp = { address: '10.0.0.1', source: 'first-machine' as const };

test('leaf changes name each differing leaf by its path, with the value before and after', () => {
  expect(leafChanges(
    { spec: { replicas: 1, template: { spec: { containers: [{ args: ['--a', '--b'] }] } } } },
    { spec: { replicas: 2, template: { spec: { containers: [{ args: ['--a', '--c', '--d'] }] } } } },
  )).toEqual([
    { path: 'spec.replicas', before: '1', after: '2' },
    { path: 'spec.template.spec.containers[0].args[1]', before: '"--b"', after: '"--c"' },
    { path: 'spec.template.spec.containers[0].args[2]', after: '"--d"' },
  ]);
  expect(leafChanges({ a: { b: [1, { c: 'x' }] } }, { a: { b: [1, { c: 'x' }] } })).toEqual([]);
});

test('a Secret\'s changed values are never shown, only where they change', () => {
  const live = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { 'objstore.yml': 'b2xk' } };
  const wouldBe = { ...live, data: { 'objstore.yml': 'bmV3' } };
  expect(objectChanges(live, wouldBe)).toEqual([{ path: 'data.objstore.yml', before: '******', after: '******' }]);
});

test('a pod template change restarts the workload\'s pods; other changes restart nothing', () => {
  const objects: ObjectPlan[] = [
    { object: 'Deployment/thanos-query', action: 'change', changes: [{ path: 'spec.template.spec.containers[0].image', before: '"a"', after: '"b"' }] },
    { object: 'StatefulSet/thanos-store', action: 'change', changes: [{ path: 'spec.replicas', before: '1', after: '2' }] },
    { object: 'Secret/thanos-objstore-config', action: 'change', changes: [{ path: 'data.objstore.yml', before: '******', after: '******' }] },
  ];
  expect(restartsOf(objects)).toEqual(['Deployment/thanos-query: its pods restart (pod template changes at spec.template.spec.containers[0].image)']);
});

test('every pod that reads the bucket configuration at start-up carries its checksum: new credentials roll them, and only them', () => {
  const withKey = (secret: string) =>
    renderThanosObjects(buildThanosSettings({ ...request, bucketConfig: { ...request.bucketConfig, config: { ...request.bucketConfig.config, secret_key: secret } } }, nodeIp));
  const [before, after] = [withKey('b'), withKey('c')];
  const changed = before.flatMap((object, i) => (objectChanges(object, after[i] as typeof object).length > 0 ? [objectName(object)] : []));
  expect(changed.sort()).toEqual([
    'Secret/thanos-objstore-config', 'StatefulSet/thanos-compact', 'StatefulSet/thanos-receive', 'StatefulSet/thanos-rule', 'StatefulSet/thanos-store',
  ]);
  const receive = objectChanges(before.find((o) => objectName(o) === 'StatefulSet/thanos-receive')!, after.find((o) => objectName(o) === 'StatefulSet/thanos-receive')!);
  expect(receive.map((c) => c.path)).toEqual(['spec.template.metadata.annotations.thanos-installer.tkestack.io/objstore-sha256']);
});

test('the verdict: no changes, changes, or refused; objects no longer produced are shown but change nothing', () => {
  const unchanged: ObjectPlan = { object: 'Deployment/thanos-query', action: 'unchanged', changes: [] };
  const leftover: ObjectPlan = { object: 'Service/old', action: 'no-longer-produced', changes: [], reason: 'these settings do not produce it; the install leaves it in place' };
  const quiet = installPlan([unchanged, leftover], [{ configMap: 'tke-monitor-api', key: 'k', action: 'unchanged', consumer: 'tke-monitor-api' }]);
  expect(quiet).toMatchObject({ changes: false, refused: false, restarts: [] });
  expect(planLines(quiet).at(-1)).toBe('no changes');

  const tke = installPlan([unchanged], [{ configMap: 'tke-monitor-api', key: 'k', action: 'change', consumer: 'tke-monitor-api' }]);
  expect(tke).toMatchObject({ changes: true, refused: false, restarts: ['Deployment/tke-monitor-api: restarted by the install to read its changed configuration'] });

  const refused = installPlan([{ object: 'StatefulSet/thanos-receive', action: 'cannot-change-in-place', changes: [], reason: 'the API server answered 422 Invalid: ...' }], []);
  expect(refused).toMatchObject({ changes: true, refused: true });
  expect(planLines(refused)).toEqual([
    '! cannot-change-in-place StatefulSet/thanos-receive: the API server answered 422 Invalid: ...',
    'refused: a change cannot be made in place',
  ]);
});
