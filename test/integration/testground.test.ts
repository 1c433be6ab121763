/**
 * Smoke tests: each component of the test ground is the real thing.
 */
import * as k8s from '@kubernetes/client-node';
import { applyObjects } from '../../src/kube/apply';
import { waitForRollouts } from '../../src/kube/wait';
import { connectClient } from '../../src/client/installs';
import { S3Client } from '../../src/s3/client';
import { codecKeysOf, workerConfigOn } from '../../src/testground/coordinates';
import { checkWorker } from '../../src/workflows';
import { createWorker } from '../../src/worker';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { onRealNode } from '../../src/testground/node/addons';
import { BUSYBOX_IMAGE } from '../../src/testground/node/images';
import { eventually } from '../support/eventually';
import { freshNamespace, testGround } from '../support/testground';

const run = promisify(execFile);

jest.setTimeout(120_000);

const { coordinates, kc } = testGround();

function workload(kind: 'Deployment' | 'StatefulSet', namespace: string, name: string, replicas: number): k8s.KubernetesObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'main', image: 'busybox:1.36', readinessProbe: { httpGet: { path: '/', port: 80 } } }] },
      },
    },
  } as k8s.KubernetesObject;
}

describe('Kubernetes with kwok nodes', () => {
  test('the fake nodes are Ready and have loopback InternalIPs only', async () => {
    const nodes = await kc.makeApiClient(k8s.CoreV1Api).listNode({ labelSelector: 'type=kwok' });
    expect(nodes.items.length).toBe(3);
    for (const node of nodes.items) {
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      const ips = node.status?.addresses?.filter((a) => a.type === 'InternalIP').map((a) => a.address) ?? [];
      expect(ips.length).toBeGreaterThan(0);
      for (const ip of ips) expect(ip).toMatch(/^127\./);
    }
  });

  test('a Deployment applied through @kubernetes/client-node becomes Available on kwok nodes', async () => {
    const namespace = await freshNamespace(kc, 'smoke-deploy');
    await applyObjects(kc, [workload('Deployment', namespace, 'web', 3)]);
    await waitForRollouts(kc, [{ kind: 'Deployment', namespace, name: 'web' }], 90_000);
    const deployment = await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'web', namespace });
    expect(deployment.status?.availableReplicas).toBe(3);
    expect(deployment.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    const pods = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace });
    for (const pod of pods.items) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.spec?.nodeName).toMatch(/^tke-node-/);
      expect(pod.status?.podIP).toMatch(/^127\./);
    }
  });

  test('a StatefulSet becomes Ready, pod by pod', async () => {
    const namespace = await freshNamespace(kc, 'smoke-sts');
    await applyObjects(kc, [workload('StatefulSet', namespace, 'db', 2)]);
    await waitForRollouts(kc, [{ kind: 'StatefulSet', namespace, name: 'db' }], 90_000);
    const sts = await kc.makeApiClient(k8s.AppsV1Api).readNamespacedStatefulSet({ name: 'db', namespace });
    expect(sts.status?.readyReplicas).toBe(2);
    const pods = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace });
    expect(pods.items.map((p) => p.metadata?.name).sort()).toEqual(['db-0', 'db-1']);
  });
});

describe('the real node', () => {
  test('is Ready with kubelet and containerd of the pinned versions, at its address inside the test ground', async () => {
    const node = await kc.makeApiClient(k8s.CoreV1Api).readNode({ name: coordinates.realNode.name });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address).toBe(coordinates.realNode.ip);
    expect(node.status?.nodeInfo).toMatchObject({ kubeletVersion: coordinates.versions.kubernetes, containerRuntimeVersion: 'containerd://1.6.20' });
    expect(node.metadata?.labels).toMatchObject({ type: 'real', 'node-role.kubernetes.io/master': '' });
  });

  test('its network exists only inside the test ground, with no default route and a drop rule for anything else', async () => {
    const inside = (command: string, ...args: string[]) =>
      run('nsenter', ['-t', String(coordinates.realNode.netnsPid), '-n', '--', command, ...args]).then((r) => r.stdout);
    expect(await inside('ip', '-o', 'addr')).toContain(`inet ${coordinates.realNode.ip}/`);
    expect(await inside('ip', 'route')).not.toMatch(/^default/m);
    expect(await inside('iptables', '-S', 'TESTGROUND-CONTAIN')).toMatch(/-A TESTGROUND-CONTAIN -j DROP$/m);
    expect((await run('ip', ['-o', 'addr'])).stdout).not.toContain(coordinates.realNode.ip);
  });

  test('a pod there resolves cluster names through CoreDNS and nothing outside the cluster domain', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const name = `dns-${Date.now().toString(36)}`;
    await core.createNamespace({ body: { metadata: { name, annotations: onRealNode } } });
    await core.createNamespacedPod({
      namespace: name,
      body: {
        metadata: { name },
        spec: {
          restartPolicy: 'Never',
          containers: [{
            name,
            image: BUSYBOX_IMAGE,
            imagePullPolicy: 'Never',
            command: ['sh', '-c', 'nslookup kubernetes.default.svc.cluster.local && ! nslookup example.com'],
          }],
        },
      },
    });
    const phase = await eventually('the pod finished', async () => {
      const pod = await core.readNamespacedPod({ name, namespace: name });
      return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' ? pod.status.phase : undefined;
    }, 60_000);
    const log = await core.readNamespacedPodLog({ name, namespace: name });
    expect({ phase, log }).toMatchObject({ phase: 'Succeeded', log: expect.stringContaining('10.96.0.1') });
    await core.deleteNamespace({ name });
  });
});

describe('Temporal dev server', () => {
  test('a workflow runs its activity on a worker created the way src/worker.ts creates it', async () => {
    const taskQueue = `smoke-${Date.now()}`;
    const worker = await createWorker(workerConfigOn(coordinates, taskQueue));
    const client = await connectClient({
      address: coordinates.temporal.address,
      namespace: coordinates.temporal.namespace,
      codecKeys: codecKeysOf(coordinates),
    });
    try {
      const info = await worker.runUntil(
        client.workflow.execute(checkWorker, { taskQueue, workflowId: `check-worker-${taskQueue}` }),
      );
      expect(info.kubernetes.server).toBe(coordinates.kubernetes.server);
      expect(info.kubernetes.version).toBe(coordinates.versions.kubernetes);
      const history = await client.workflow.getHandle(`check-worker-${taskQueue}`).fetchHistory();
      const completed = history.events?.filter((e) => e.activityTaskCompletedEventAttributes) ?? [];
      expect(completed).toHaveLength(1);
    } finally {
      await client.connection.close();
      await worker.connection?.close();
    }
  });

  test('the Web UI answers over HTTP and knows the default namespace', async () => {
    const page = await fetch(coordinates.temporal.uiUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const api = await fetch(`${coordinates.temporal.uiUrl}/api/v1/namespaces/default`);
    expect(api.status).toBe(200);
    expect(JSON.stringify(await api.json())).toContain('"default"');
  });
});

describe('MinIO', () => {
  test.each([
    ['Signature V4', false],
    ['Signature V2', true],
  ])('an object is put, read back and deleted with %s', async (_name, signatureVersion2) => {
    const s3 = new S3Client({
      endpoint: coordinates.s3.endpoint,
      bucket: coordinates.s3.bucket,
      insecure: true,
      signatureVersion2,
      credentials: { accessKey: coordinates.s3.accessKey, secretKey: coordinates.s3.secretKey },
    });
    const key = `smoke/${signatureVersion2 ? 'v2' : 'v4'}-${Date.now()}.txt`;
    const body = Buffer.from(`written with ${_name}`);
    await s3.putObject(key, body);
    expect(await s3.listObjects('smoke/')).toContain(key);
    expect((await s3.getObject(key)).toString()).toBe(body.toString());
    await s3.deleteObject(key);
    expect(await s3.listObjects('smoke/')).not.toContain(key);
  });

  test('a wrong secret key is rejected by the server', async () => {
    const s3 = new S3Client({
      endpoint: coordinates.s3.endpoint,
      bucket: coordinates.s3.bucket,
      insecure: true,
      credentials: { accessKey: coordinates.s3.accessKey, secretKey: 'not-the-secret' },
    });
    await expect(s3.listObjects()).rejects.toMatchObject({ kind: 'credentials' });
  });
});
