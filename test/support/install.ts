/**
 * Shared set-up for install tests: a namespace made to look like TKE's, an
 * in-process worker, an encrypting client and the seed's request aimed at the
 * test ground's MinIO.
 */
import * as k8s from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { connectClient, installInputOf, startUninstall, type InstallTimeouts } from '../../src/client/installs';
import { validateInstallRequest } from '../../src/request/validate';
import { codecKeysOf, workerConfigOn, type TestGroundCoordinates } from '../../src/testground/coordinates';
import { onRealNode } from '../../src/testground/node/addons';
import { seedRequestOn, type NodeKind, type SeedRequest } from '../../src/testground/seed-request';
import { installTkeFixture } from '../../src/testground/tke-fixture';
import type { InstallInput } from '../../src/workflows/contracts';
import { createWorker } from '../../src/worker';

// Activity failures are expected in these tests; the SDK would log each with
// its stack. The runtime can be installed once per process.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // already installed by an earlier test file
}

/**
 * A fresh namespace holding the TKE fixture. Its pods run on kwok's fake
 * nodes, or on the real node (the namespace's PodNodeSelector annotation says which).
 */
export async function tkeNamespace(kc: k8s.KubeConfig, prefix: string, node: NodeKind = 'kwok'): Promise<string> {
  const namespace = `${prefix}-${Date.now().toString(36)}`;
  if (node === 'real') {
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: namespace, annotations: onRealNode } } });
  }
  await installTkeFixture(kc, namespace);
  return namespace;
}

/** The seed's request with its bucket on the test ground's MinIO, changed by `edit`. */
export function seedRequest(c: TestGroundCoordinates, edit: (request: SeedRequest) => void = () => {}, node: NodeKind = 'kwok'): SeedRequest {
  const request = seedRequestOn(c, node);
  edit(request);
  return request;
}

export type { SeedRequest };

/** Validates a request as the API would and makes the workflow's input for a test namespace. */
export function installInputFor(
  request: SeedRequest,
  clusterName: string,
  namespace: string,
  timeouts: Partial<InstallTimeouts> = {},
): InstallInput {
  const validated = validateInstallRequest(request);
  if (!validated.ok) throw new Error(`invalid test request: ${JSON.stringify(validated.errors)}`);
  return installInputOf(clusterName, { ...validated.settings, namespace }, { readinessTimeoutSeconds: 60, rolloutTimeoutSeconds: 60, ...timeouts });
}

/** A client of the test ground's Temporal that encrypts payloads as the installer does. */
export function connectTestClient(c: TestGroundCoordinates): Promise<Client> {
  return connectClient({ address: c.temporal.address, namespace: c.temporal.namespace, codecKeys: codecKeysOf(c) });
}

export interface RunningWorker {
  client: Client;
  taskQueue: string;
  stop(): Promise<void>;
}

/** A worker (as src/worker.ts creates it) and a client, on a task queue of their own. */
export async function startWorkerAndClient(c: TestGroundCoordinates, name: string): Promise<RunningWorker> {
  const taskQueue = `${name}-${Date.now().toString(36)}`;
  const worker: Worker = await createWorker(workerConfigOn(c, taskQueue));
  const running = worker.run();
  const client = await connectTestClient(c);
  return {
    client,
    taskQueue,
    async stop() {
      try {
        worker.shutdown();
        await running;
      } finally {
        // Closed whatever the shutdown did: an open native connection keeps the test process alive.
        await worker.connection?.close();
        await client.connection.close();
      }
    },
  };
}

/** Three NodePorts from `base` on: each test owns its own, so that a failed test cannot block the next. */
export const nodePorts = (base: number) => ({ receiveGrpc: base, receiveHttp: base + 1, receiveRemoteWrite: base + 2 });

/** Every object of a namespace with its resourceVersion: what "untouched" is measured by. */
export async function objectVersions(kc: k8s.KubeConfig, namespace: string): Promise<string[]> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const lists = await Promise.all([
    core.listNamespacedConfigMap({ namespace }),
    core.listNamespacedSecret({ namespace }),
    core.listNamespacedService({ namespace }),
    apps.listNamespacedStatefulSet({ namespace }),
    apps.listNamespacedDeployment({ namespace }),
  ]);
  return lists.flatMap((l, i) => l.items.map((o) => `${i} ${o.metadata?.name} ${o.metadata?.resourceVersion}`)).sort();
}

/**
 * TKE namespaces a test file makes, deleted when it ends: a reused test
 * ground then keeps none of its installs, nor the NodePorts they claimed.
 */
export function ownedNamespaces(kc: k8s.KubeConfig) {
  const names: string[] = [];
  return {
    async create(prefix: string): Promise<string> {
      const namespace = await tkeNamespace(kc, prefix);
      names.push(namespace);
      return namespace;
    },
    async deleteAll(): Promise<void> {
      for (const name of names) await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name });
    },
  };
}

/**
 * Ends a test's install on the real node: uninstalls it with its volume
 * claims (freeing the NodePorts and the node's disk for the tests after it),
 * stops the test's worker and client, and deletes the namespace.
 */
export async function removeRealNodeInstall(
  kc: k8s.KubeConfig,
  test: { client?: Client; worker?: { stop(): Promise<void> }; installed: boolean; clusterName: string; namespace?: string; taskQueue: string },
): Promise<void> {
  const { client, namespace } = test;
  if (client && namespace && test.installed) {
    const started = await startUninstall(client, { clusterName: test.clusterName, namespace, deleteVolumeClaims: true }, test.taskQueue);
    await client.workflow.getHandle(started.workflowId).result();
  }
  await test.worker?.stop();
  await client?.connection.close();
  if (namespace) await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace });
}
