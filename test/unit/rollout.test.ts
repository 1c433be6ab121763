import { deploymentRolloutStatus, statefulSetRolloutStatus } from '../../src/kube/rollout';

describe('deployment rollout status', () => {
  const deployment = (status: object, generation = 2) => ({
    metadata: { name: 'web', generation },
    spec: { replicas: 2, selector: {}, template: {} },
    status: { observedGeneration: 2, ...status },
  });

  test('done when every replica is updated and available', () => {
    expect(deploymentRolloutStatus(deployment({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 })).done).toBe(true);
  });

  test.each([
    [{ replicas: 2, updatedReplicas: 2, availableReplicas: 2 }, 3, 'observe the new spec'],
    [{ replicas: 2, updatedReplicas: 1, availableReplicas: 2 }, 2, '1 of 2 replicas updated'],
    [{ replicas: 3, updatedReplicas: 2, availableReplicas: 2 }, 2, '1 old replicas pending termination'],
    [{ replicas: 2, updatedReplicas: 2, availableReplicas: 1 }, 2, '1 of 2 updated replicas available'],
  ])('not done while %j (generation %d): says %s', (status, generation, message) => {
    const result = deploymentRolloutStatus(deployment(status, generation));
    expect(result.done).toBe(false);
    expect(result.message).toContain(message);
    expect(result.message).toContain('deployment web');
  });
});

describe('statefulset rollout status', () => {
  const sts = (status: object) => ({
    metadata: { name: 'db', generation: 1 },
    spec: { replicas: 3, selector: {}, template: {}, serviceName: 'db' },
    status: { observedGeneration: 1, replicas: 3, ...status },
  });

  test('done when all pods are ready and updated', () => {
    expect(statefulSetRolloutStatus(sts({ readyReplicas: 3, updatedReplicas: 3 })).done).toBe(true);
  });

  test('names how many pods are ready while not done', () => {
    const result = statefulSetRolloutStatus(sts({ readyReplicas: 1, updatedReplicas: 3 }));
    expect(result).toEqual({ done: false, message: 'statefulset db: 1 of 3 pods ready' });
  });

  test('with a partition, counts only the pods at and above it (as kubectl does)', () => {
    const partitioned = (status: object) => ({ ...sts(status), spec: { ...sts(status).spec, updateStrategy: { rollingUpdate: { partition: 2 } } } });
    expect(statefulSetRolloutStatus(partitioned({ readyReplicas: 3, updatedReplicas: 1 })).done).toBe(true);
    expect(statefulSetRolloutStatus(partitioned({ readyReplicas: 3, updatedReplicas: 0 }))).toEqual({
      done: false,
      message: 'statefulset db: 0 of 1 pods updated',
    });
  });
});
