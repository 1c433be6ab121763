import { clusterRegistryFromEnv, parseClusterRegistry } from '../../src/api/clusters';
import { clusterOfWorkflow, driftWatchWorkflowIdFor, planWorkflowIdFor, verifyWorkflowIdFor, workflowIdFor } from '../../src/workflows/contracts';

test('THANOS_INSTALLER_CLUSTERS maps each cluster to its worker\'s task queue; a bare name gets thanos-installer-<name>', () => {
  const clusters = parseClusterRegistry('global=queue-a, shanghai');
  expect(clusters.names()).toEqual(['global', 'shanghai']);
  expect(clusters.taskQueueOf('global')).toBe('queue-a');
  expect(clusters.taskQueueOf('shanghai')).toBe('thanos-installer-shanghai');
  expect(clusters.taskQueueOf('beijing')).toBeUndefined();
});

test('without a registry the installer serves tke-installer\'s own cluster on the worker\'s default queue', () => {
  const clusters = clusterRegistryFromEnv({});
  expect(clusters.names()).toEqual(['global']);
  expect(clusters.taskQueueOf('global')).toBe('thanos-installer');
});

test.each([
  ['global=a,Global=b', /entry 2 \('Global=b'\): the cluster name must be a DNS label/],
  ['global=a,global=b', /entry 2 \('global=b'\): cluster global is listed twice/],
  ['global=a=b', /entry 1 \('global=a=b'\): must be name=taskQueue/],
  ['global=', /entry 1 \('global='\): must be name=taskQueue/],
  ['global,', /entry 2 \(''\): the cluster name must be a DNS label/],
])('%s is refused, naming the entry and what is wrong', (spec, message) => {
  expect(() => parseClusterRegistry(spec)).toThrow(message);
});

test('a worker reads the cluster back from the id of every installer workflow, and from no other', () => {
  expect(clusterOfWorkflow('installThanos', workflowIdFor('east-1'))).toBe('east-1');
  expect(clusterOfWorkflow('uninstallThanos', workflowIdFor('east-1'))).toBe('east-1');
  expect(clusterOfWorkflow('verifyThanos', verifyWorkflowIdFor('east-1'))).toBe('east-1');
  expect(clusterOfWorkflow('planThanos', planWorkflowIdFor('east-1', '0f6c2a'))).toBe('east-1');
  expect(clusterOfWorkflow('watchDrift', driftWatchWorkflowIdFor('east-1'))).toBe('east-1');
  // Clusters named drift-east-1 and verify-east-1 have install ids no drift watch or check of east-1 has.
  expect(driftWatchWorkflowIdFor('east-1')).not.toBe(workflowIdFor('drift-east-1'));
  expect(verifyWorkflowIdFor('east-1')).not.toBe(workflowIdFor('verify-east-1'));
  expect(clusterOfWorkflow('installThanos', workflowIdFor('verify-east-1'))).toBe('verify-east-1');
  expect(clusterOfWorkflow('checkWorker', 'thanos-installer-east-1')).toBeUndefined();
  expect(clusterOfWorkflow('installThanos', 'someone-elses-east-1')).toBeUndefined();
});
