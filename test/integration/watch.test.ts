/**
 * The installer's waits follow objects with Kubernetes watches: one list and
 * one watch, then nothing asked of the API server until the rollout
 * happens, which they see as it happens.
 */
import * as k8s from '@kubernetes/client-node';
import { applyObjects } from '../../src/kube/apply';
import { RolloutTimedOut, waitForRollouts, type WorkloadRef } from '../../src/kube/wait';
import { CountingKubeConfig } from '../support/counting-kube-config';
import { freshNamespace, testGround } from '../support/testground';

jest.setTimeout(60_000);

const { coordinates, kc } = testGround();
const apps = kc.makeApiClient(k8s.AppsV1Api);
let namespace: string;

/** A Deployment whose pod no node takes until the selector is lifted. */
function unschedulable(name: string): k8s.V1Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { nodeSelector: { 'example.com/no-such-node': 'true' }, containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
      },
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  namespace = await freshNamespace(kc, 'watch');
});

test('a rollout wait lists and watches once, asks nothing more while nothing changes, and ends when the rollout happens', async () => {
  await applyObjects(kc, [unschedulable('web')]);
  const counting = CountingKubeConfig.fromFile(coordinates.kubernetes.kubeconfig);
  const ref: WorkloadRef = { kind: 'Deployment', namespace, name: 'web' };
  const seen: string[] = [];
  const rolledOut = waitForRollouts(counting, [ref], 50_000, { onProgress: ([status]) => seen.push(status?.message ?? '') });
  await sleep(3_000);
  const whileWaiting = [...counting.requests];
  expect(whileWaiting).toEqual([`GET /apis/apps/v1/namespaces/${namespace}/deployments`, 'WATCH']);
  expect(seen.at(-1)).toBe('deployment web: 0 of 1 updated replicas available');

  await apps.patchNamespacedDeployment(
    { name: 'web', namespace, body: [{ op: 'remove', path: '/spec/template/spec/nodeSelector' }] },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
  );
  const [status] = await rolledOut;
  expect(status).toEqual({ done: true, message: 'deployment web: 1 of 1 replicas available' });
  // Every step of the rollout came through the one watch.
  expect(counting.requests).toEqual(whileWaiting);
  expect(seen.length).toBeGreaterThan(2);
});

test('a wait that times out names what it waits for and why the pods are not ready; a cancelled wait stops at once with its reason', async () => {
  await applyObjects(kc, [unschedulable('stuck')]);
  const ref: WorkloadRef = { kind: 'Deployment', namespace, name: 'stuck' };
  const timedOut = await waitForRollouts(kc, [ref], 2_000).catch((err: unknown) => err);
  expect(timedOut).toBeInstanceOf(RolloutTimedOut);
  expect((timedOut as Error).message).toMatch(/^timed out after 2s: deployment stuck: 0 of 1 updated replicas available; pods: stuck-\S+: Pending \(PodScheduled Unschedulable: /);

  const cancel = new AbortController();
  const began = Date.now();
  const cancelled = waitForRollouts(kc, [ref], 50_000, { signal: cancel.signal }).catch((err: unknown) => err);
  setTimeout(() => cancel.abort(new Error('activity cancelled')), 500);
  expect(await cancelled).toEqual(new Error('activity cancelled'));
  expect(Date.now() - began).toBeLessThan(5_000);
});
