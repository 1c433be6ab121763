import { buildThanosSettings } from '../../src/request/defaults';
import { renderThanosObjects } from '../../src/render/thanos';
import { installPlan, leafChanges, objectChanges, planLines, restartsOf, type ObjectPlan } from '../../src/render/plan';

const settings = buildThanosSettings(
  { bucketConfig: { type: 'S3', config: { bucket: 'thanos', endpoint: '127.0.0.1:9000', access_key: 'a', secret_key: 'b', insecure: true } } },
  { address: '10.0.0.1', source: 'first-machine' },
);
const rendered = renderThanosObjects(settings);

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

test('a pod template change restarts the workload\'s pods; a changed objstore Secret reaches its readers only when they restart', () => {
  const objects: ObjectPlan[] = [
    { object: 'Deployment/thanos-query', action: 'change', changes: [{ path: 'spec.template.spec.containers[0].image', before: '"a"', after: '"b"' }] },
    { object: 'StatefulSet/thanos-store', action: 'change', changes: [{ path: 'spec.replicas', before: '1', after: '2' }] },
    { object: 'Secret/thanos-objstore-config', action: 'change', changes: [{ path: 'data.objstore.yml', before: '******', after: '******' }] },
  ];
  const restarts = restartsOf(objects, rendered);
  expect(restarts).toContain('Deployment/thanos-query: its pods restart (pod template changes at spec.template.spec.containers[0].image)');
  for (const reader of ['StatefulSet/thanos-store', 'StatefulSet/thanos-compact', 'StatefulSet/thanos-rule', 'StatefulSet/thanos-receive']) {
    expect(restarts).toContain(
      `${reader}: its pods see the new Secret/thanos-objstore-config but read it only at start-up: they keep the old configuration until restarted`,
    );
  }
  expect(restarts.filter((r) => r.startsWith('Deployment/thanos-query'))).toHaveLength(1);
});

test('the verdict: no changes, changes, or refused; objects no longer produced are shown but change nothing', () => {
  const unchanged: ObjectPlan = { object: 'Deployment/thanos-query', action: 'unchanged', changes: [] };
  const leftover: ObjectPlan = { object: 'Service/old', action: 'no-longer-produced', changes: [], reason: 'these settings do not produce it; the install leaves it in place' };
  const quiet = installPlan([unchanged, leftover], [{ configMap: 'tke-monitor-api', key: 'k', action: 'unchanged', consumer: 'tke-monitor-api' }], rendered);
  expect(quiet).toMatchObject({ changes: false, refused: false, restarts: [] });
  expect(planLines(quiet).at(-1)).toBe('no changes');

  const tke = installPlan([unchanged], [{ configMap: 'tke-monitor-api', key: 'k', action: 'change', consumer: 'tke-monitor-api' }], rendered);
  expect(tke).toMatchObject({ changes: true, refused: false, restarts: ['Deployment/tke-monitor-api: restarted by the install to read its changed configuration'] });

  const refused = installPlan([{ object: 'StatefulSet/thanos-receive', action: 'cannot-change-in-place', changes: [], reason: 'the API server answered 422 Invalid: ...' }], [], rendered);
  expect(refused).toMatchObject({ changes: true, refused: true });
  expect(planLines(refused)).toEqual([
    '! cannot-change-in-place StatefulSet/thanos-receive: the API server answered 422 Invalid: ...',
    'refused: a change cannot be made in place',
  ]);
});
