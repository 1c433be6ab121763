import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { V1ConfigMap, V1StatefulSet } from '@kubernetes/client-node';
import { buildThanosSettings } from '../../src/request/defaults';
import { liveReceiveShape, receiveRestarts, receiveStages, stageSettings, type ReceiveShape } from '../../src/render/receive-scaling';
import { renderThanosObjects } from '../../src/render/thanos';
import { hashringConfigHash, hashringOrdinals, hashringsFile, type ReceiveLayout } from '../../src/render/thanos/receive';
import { volumeVerdict } from '../../src/render/volumes';
import { installPlan, planRefusals, planSummary } from '../../src/render/plan';
import { find } from './helpers';

const BUCKET = { type: 'S3' as const, config: { bucket: 'thanos', endpoint: '127.0.0.1:9000', access_key: 'a', secret_key: 'b', insecure: true } };

const nodeIp = { address: '10.0.0.1', source: 'first-machine' as const };
const settingsWith = (receive: number, factor: number, size = '50Gi') =>
  buildThanosSettings({ bucketConfig: BUCKET, replicas: { receive }, receiveReplicationFactor: factor, storage: { size: { receive: size } } }, nodeIp);

/** A shape a running Receive can have: the replication factor within the hashring, the hashring within the replicas. */
const validShape = fc
  .record({ replicas: fc.integer({ min: 1, max: 9 }), members: fc.integer({ min: 1, max: 9 }), factor: fc.integer({ min: 1, max: 9 }) })
  .map(({ replicas, members, factor }): ReceiveShape => {
    const hashringMembers = Math.min(members, replicas);
    return { replicas, hashringMembers, replicationFactor: Math.min(factor, hashringMembers) };
  });
const settledShape = fc.integer({ min: 1, max: 9 }).chain((replicas) =>
  fc.integer({ min: 1, max: replicas }).map((factor): ReceiveShape => ({ replicas, hashringMembers: replicas, replicationFactor: factor })),
);

describe('Receive scaling stages', () => {
  test('at every stage the replication factor is within the hashring and the hashring within the running replicas; the last stage is the target', () => {
    fc.assert(
      fc.property(validShape, settledShape, (live, target) => {
        const stages = receiveStages(live, target);
        expect(stages.at(-1)?.shape).toEqual(target);
        let before = live;
        for (const { shape } of stages) {
          expect(shape.replicationFactor).toBeLessThanOrEqual(shape.hashringMembers);
          expect(shape.hashringMembers).toBeLessThanOrEqual(shape.replicas);
          // A replica joins the hashring only if it was already running in the stage before.
          expect(shape.hashringMembers).toBeLessThanOrEqual(Math.max(before.hashringMembers, before.replicas));
          if (shape.hashringMembers > before.hashringMembers) expect(before.replicas).toBeGreaterThanOrEqual(shape.hashringMembers);
          // A replica stops only once it has left the hashring.
          if (shape.replicas < before.replicas) expect(before.hashringMembers).toBeLessThanOrEqual(shape.replicas);
          before = shape;
        }
      }),
    );
  });

  test('1 -> 3 starts two replicas outside the hashring, then they join; 3 -> 2 makes replica 2 leave before it stops', () => {
    expect(receiveStages({ replicas: 1, hashringMembers: 1, replicationFactor: 1 }, { replicas: 3, hashringMembers: 3, replicationFactor: 1 }).map((s) => s.why)).toEqual([
      'start replicas 1-2 outside the hashring',
      'replicas 1-2 join the hashring, now Ready',
    ]);
    expect(receiveStages({ replicas: 3, hashringMembers: 3, replicationFactor: 3 }, { replicas: 2, hashringMembers: 2, replicationFactor: 1 }).map((s) => s.shape)).toEqual([
      { replicas: 3, hashringMembers: 3, replicationFactor: 1 },
      { replicas: 3, hashringMembers: 2, replicationFactor: 1 },
      { replicas: 2, hashringMembers: 2, replicationFactor: 1 },
    ]);
  });

  test('an unchanged shape is one stage that applies the target (a new image still rolls out)', () => {
    const shape = { replicas: 2, hashringMembers: 2, replicationFactor: 1 };
    expect(receiveStages(shape, shape)).toEqual([{ shape, why: 'keep 2 replica(s)' }]);
    expect(receiveStages(undefined, shape)).toEqual([{ shape, why: 'start 2 replica(s)' }]);
  });

  test('a stage renders the hashring with its members and the StatefulSet with its replicas and factor; the live shape reads back', () => {
    const target = settingsWith(3, 2);
    const shape = { replicas: 3, hashringMembers: 1, replicationFactor: 1 };
    const objects = renderThanosObjects(stageSettings(target, shape), { hashringMembers: shape.hashringMembers });
    const statefulSet = find<V1StatefulSet>(objects, 'StatefulSet', 'thanos-receive');
    const hashrings = find<V1ConfigMap>(objects, 'ConfigMap', 'thanos-receive-hashring').data?.['hashrings.json'] ?? '';
    expect(liveReceiveShape(statefulSet, hashrings)).toEqual(shape);
    const midway = renderThanosObjects(target, { hashringMembers: 3, outsideHashring: 1 });
    expect(liveReceiveShape(statefulSet, find<V1ConfigMap>(midway, 'ConfigMap', 'thanos-receive-hashring').data?.['hashrings.json'] ?? '')).toEqual({ ...shape, hashringMembers: 3, outsideHashring: 1 });
  });
});

describe('Receive restarts on a new template', () => {
  /** A settled shape, maybe with a member a stopped run left outside the hashring, and a set of its replicas running an older template. */
  const restartCase = settledShape
    .chain((shape) =>
      shape.hashringMembers - 1 >= shape.replicationFactor
        ? fc.option(fc.integer({ min: 0, max: shape.hashringMembers - 1 }), { nil: undefined }).map((outside): ReceiveShape => (outside === undefined ? shape : { ...shape, outsideHashring: outside }))
        : fc.constant(shape),
    )
    .chain((shape) => fc.subarray(Array.from({ length: shape.replicas }, (_, i) => i)).map((behind) => ({ shape, behind })));

  test('each replica behind restarts once, highest first; outside the hashring every replica has loaded wherever there is room; all rejoin at the end', () => {
    fc.assert(
      fc.property(restartCase, ({ shape, behind }) => {
        const restarts = receiveRestarts(shape, behind);
        const restarted = restarts.filter((r) => r.waitFor === 'restart').map((r) => r.ordinal);
        expect(restarted).toEqual([...new Set([...behind, ...(shape.outsideHashring === undefined ? [] : [shape.outsideHashring])])].sort((a, b) => b - a));
        let loaded: ReceiveLayout = { hashringMembers: shape.hashringMembers, ...(shape.outsideHashring !== undefined && { outsideHashring: shape.outsideHashring }) };
        let partition = shape.replicas;
        for (const restart of restarts) {
          expect(hashringOrdinals(restart.layout).length).toBeGreaterThanOrEqual(shape.replicationFactor);
          // The StatefulSet never restarts a pod ahead of its turn.
          expect(restart.layout.keepTemplateBelow).toBeLessThanOrEqual(partition);
          partition = restart.layout.keepTemplateBelow ?? 0;
          if (restart.waitFor === 'restart') {
            expect(partition).toBe(restart.ordinal);
            // In the hashring while it restarts only where leaving it was not possible.
            if (hashringOrdinals(loaded).includes(restart.ordinal)) {
              expect(loaded.outsideHashring !== undefined || hashringOrdinals(loaded).length - 1 < shape.replicationFactor).toBe(true);
            }
          } else {
            loaded = restart.layout;
          }
        }
        expect(hashringOrdinals(loaded)).toEqual(hashringOrdinals({ hashringMembers: shape.hashringMembers }));
      }),
    );
  });

  test('two replicas with factor 1: replica 1 leaves, restarts, rejoins, then replica 0; a factor equal to the replicas restarts in place and says what that costs', () => {
    expect(receiveRestarts({ replicas: 2, hashringMembers: 2, replicationFactor: 1 }, [0, 1]).map((r) => [r.why, hashringOrdinals(r.layout), r.layout.keepTemplateBelow])).toEqual([
      ['replica 1 leaves the hashring before it restarts', [0], 2],
      ['restart replica 1 while outside the hashring', [0], 1],
      ['replica 1 rejoins the hashring, now Ready on the new template', [0, 1], 1],
      ['replica 0 leaves the hashring before it restarts', [1], 1],
      ['restart replica 0 while outside the hashring', [1], 0],
      ['replica 0 rejoins the hashring, now Ready on the new template', [0, 1], 0],
    ]);
    expect(receiveRestarts({ replicas: 1, hashringMembers: 1, replicationFactor: 1 }, [0]).map((r) => r.why)).toEqual([
      'restart replica 0 in place (a replication factor of 1 needs all 1 member(s): the writes it owns are refused until it is back)',
    ]);
  });

  test('the layout renders: the hashring without the restarting replica, the StatefulSet with its partition', () => {
    const objects = renderThanosObjects(settingsWith(3, 1), { hashringMembers: 3, outsideHashring: 1, keepTemplateBelow: 1 });
    const hashrings = JSON.parse(find<V1ConfigMap>(objects, 'ConfigMap', 'thanos-receive-hashring').data?.['hashrings.json'] ?? '') as { endpoints: string[] }[];
    expect(hashrings[0]?.endpoints.map((e) => e.split('.')[0])).toEqual(['thanos-receive-0', 'thanos-receive-2']);
    expect(find<V1StatefulSet>(objects, 'StatefulSet', 'thanos-receive').spec?.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 1 } });
    expect(find<V1StatefulSet>(renderThanosObjects(settingsWith(3, 1)), 'StatefulSet', 'thanos-receive').spec?.updateStrategy).toBeUndefined();
  });
});

test('the hashring hash is the one Thanos reports: the first 48 bits of the file\'s SHA-256, little-endian', () => {
  const file = hashringsFile(settingsWith(3, 1));
  const sum = createHash('sha256').update(file).digest();
  expect(hashringConfigHash(file)).toBe(sum.readUIntLE(0, 6));
  expect(hashringConfigHash(hashringsFile(settingsWith(3, 1), { hashringMembers: 2 }))).not.toBe(hashringConfigHash(file));
});

describe('volume changes', () => {
  const receiveSet = (size: string, storageClass?: string) => {
    const settings = settingsWith(1, 1, size);
    const rendered = find<V1StatefulSet>(renderThanosObjects(storageClass ? { ...settings, storage: { ...settings.storage, storageClass } } : settings), 'StatefulSet', 'thanos-receive');
    return rendered;
  };
  const expandable = { name: 'standard', allowVolumeExpansion: true };

  test('a larger size grows in place where the StorageClass allows expansion', () => {
    expect(volumeVerdict('receive', receiveSet('50Gi'), receiveSet('80Gi'), expandable)).toEqual({ kind: 'grow', from: '50Gi', to: '80Gi', storageClass: 'standard' });
    expect(volumeVerdict('receive', receiveSet('50Gi'), receiveSet('50Gi'), expandable)).toEqual({ kind: 'unchanged' });
  });

  test('what cannot be done in place is refused naming the field, the StorageClass and the ways out', () => {
    const fixed = volumeVerdict('receive', receiveSet('50Gi'), receiveSet('80Gi'), { name: 'local', allowVolumeExpansion: false });
    expect(fixed).toMatchObject({ kind: 'refused', path: 'config.monitor.thanos.storage.size.receive' });
    expect(fixed.kind === 'refused' && fixed.message).toMatch(/StorageClass local does not allow volume expansion; keep 50Gi, set allowVolumeExpansion: true .* or uninstall and install again/);
    const shrink = volumeVerdict('receive', receiveSet('50Gi'), receiveSet('40Gi'), expandable);
    expect(shrink.kind === 'refused' && shrink.message).toMatch(/^volumes cannot shrink: the claims of StatefulSet\/thanos-receive hold 50Gi, 40Gi was asked for: ask for 50Gi or more/);
    const moved = volumeVerdict('receive', receiveSet('50Gi'), receiveSet('50Gi', 'fast'), expandable);
    expect(moved).toMatchObject({ kind: 'refused', path: 'config.monitor.thanos.storage.storageClass' });
  });
});

test('a plan summary names each object and field that differs; refusals name the field', () => {
  const plan = installPlan(
    [
      { object: 'StatefulSet/thanos-receive', action: 'change', changes: [{ path: 'spec.replicas', before: '1', after: '3' }] },
      { object: 'Service/thanos-query', action: 'unchanged', changes: [] },
      { object: 'Service/old', action: 'remove', changes: [] },
      { object: 'StatefulSet/thanos-store', action: 'cannot-change-in-place', changes: [], field: 'config.monitor.thanos.storage.size.store', reason: 'volumes cannot shrink' },
    ],
    [],
  );
  expect(planSummary(plan)).toBe('change StatefulSet/thanos-receive (spec.replicas); remove Service/old');
  expect(planRefusals(plan)).toEqual([{ path: 'config.monitor.thanos.storage.size.store', message: 'StatefulSet/thanos-store: volumes cannot shrink' }]);
  expect(plan.changes && plan.refused).toBe(true);
  expect(planSummary(installPlan([{ object: 'Service/thanos-query', action: 'unchanged', changes: [] }], []))).toBe('the cluster is as these settings want it');
});
