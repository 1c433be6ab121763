/**
 * `npm run bench`: how much the durable workflow costs over the plain floor.
 * On the local test ground, installs the seed's request N times (each in a
 * fresh namespace holding the TKE fixture), and, as the floor, applies the
 * same rendered objects with `kubectl apply --server-side` followed by
 * `kubectl rollout status`, N times, alternating. Prints the median wall
 * times with their spread, the Kubernetes API requests of one install and
 * of one floor, the worker's peak RSS and, last, `install/kubectl ratio: X.XX`.
 *
 * Usage: npm run bench [-- --runs N]   (reuses THANOS_TESTGROUND_COORDINATES if set)
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { connectClient, startInstall } from '../src/client/installs';
import { codecKeysOf, readCoordinates, workerConfigOn, workerEnvOn, type TestGroundCoordinates } from '../src/testground/coordinates';
import { startTestGround } from '../src/testground/ground';
import { projectRoot } from '../src/testground/paths';
import { installTkeFixture } from '../src/testground/tke-fixture';
import { checkWorker, installThanos } from '../src/workflows';
import { createWorker } from '../src/worker';
import { CountingKubeConfig } from '../test/support/counting-kube-config';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { kubectlFloor } from './kubectl-floor';
import { median, positiveInteger, residentMiB, runBench, seedInput, spread, untilInstalled } from './support';

/**
 * One install with a worker in this process whose KubeConfig counts every
 * request, not timed: what one install asks the API server, by kind of request.
 */
async function countedInstall(c: TestGroundCoordinates, kc: KubeConfig, client: Awaited<ReturnType<typeof connectClient>>): Promise<string[]> {
  const taskQueue = `bench-counted-${Date.now().toString(36)}`;
  const counting = CountingKubeConfig.fromFile(c.kubernetes.kubeconfig);
  const worker = await createWorker({ ...workerConfigOn(c, taskQueue), workflowBundle: resolve(projectRoot, 'dist', 'workflow-bundle.js') }, counting);
  const running = worker.run();
  const namespace = `bench-counted-${Date.now().toString(36)}`;
  try {
    await installTkeFixture(kc, namespace);
    const started = await startInstall(client, seedInput(c, namespace, `bench-${namespace}`, { receiveGrpc: 30090, receiveHttp: 30091, receiveRemoteWrite: 30092 }), taskQueue);
    await untilInstalled(client.workflow.getHandle<typeof installThanos>(started.workflowId));
    return counting.requests;
  } finally {
    worker.shutdown();
    await running;
    await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
  }
}

/** `N (GET 3, PATCH 20, WATCH 5, …)`: requests grouped by their first word. */
function describeRequests(requests: string[]): string {
  const byVerb = new Map<string, number>();
  for (const r of requests) byVerb.set(r.split(' ')[0] as string, (byVerb.get(r.split(' ')[0] as string) ?? 0) + 1);
  return `${requests.length} (${[...byVerb].sort((a, b) => b[1] - a[1]).map(([verb, n]) => `${verb} ${n}`).join(', ')})`;
}

async function main({ runs }: { runs: number }): Promise<void> {
  const external = process.env.THANOS_TESTGROUND_COORDINATES;
  const ground = external ? undefined : await startTestGround();
  const c = ground?.coordinates ?? readCoordinates(external);
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubernetes.kubeconfig);
  const taskQueue = `bench-${Date.now().toString(36)}`;
  const worker = spawn(process.execPath, [resolve(projectRoot, 'dist', 'worker.js')], {
    env: { PATH: process.env.PATH, ...workerEnvOn(c, taskQueue) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const client = await connectClient({ address: c.temporal.address, namespace: c.temporal.namespace, codecKeys: codecKeysOf(c) });
  const installTimes: number[] = [];
  const kubectlTimes: number[] = [];
  let kubectlRequests = 0;
  const namespaces: string[] = [];
  const stepTimes = new Map<string, number[]>();
  try {
    // Not timed: the worker bundles its workflows before it polls.
    await client.workflow.execute(checkWorker, { taskQueue, workflowId: `${taskQueue}-warm-up` });
    for (let i = 0; i < runs; i++) {
      // NodePorts are cluster-wide: each run gets its own range.
      const ports = { receiveGrpc: 30100 + i * 10, receiveHttp: 30101 + i * 10, receiveRemoteWrite: 30102 + i * 10 };
      const installNs = `bench-install-${i}-${Date.now().toString(36)}`;
      await installTkeFixture(kc, installNs);
      const input = seedInput(c, installNs, `bench-${installNs}`, ports);
      const start = performance.now();
      const started = await startInstall(client, input, taskQueue);
      const handle = client.workflow.getHandle<typeof installThanos>(started.workflowId);
      await untilInstalled(handle);
      installTimes.push(performance.now() - start);
      const steps = (await handle.result()).progress.steps.map((step) => ({ id: step.id, ms: (step.finishedAt ?? 0) - (step.startedAt ?? 0) }));
      for (const step of steps) stepTimes.set(step.id, [...(stepTimes.get(step.id) ?? []), step.ms]);
      const slowest = steps.reduce((a, b) => (b.ms > a.ms ? b : a));

      const floorNs = `bench-kubectl-${i}-${Date.now().toString(36)}`;
      await installTkeFixture(kc, floorNs);
      const floorPorts = { receiveGrpc: 30105 + i * 10, receiveHttp: 30106 + i * 10, receiveRemoteWrite: 30107 + i * 10 };
      const floor = seedInput(c, floorNs, 'floor').settings;
      const measured = await kubectlFloor(c, { ...floor, nodePorts: floorPorts }, c.runDir);
      kubectlTimes.push(measured.ms);
      kubectlRequests = measured.requests;
      namespaces.push(installNs, floorNs);
      process.stdout.write(`run ${i + 1}/${runs}: install ${(installTimes[i] as number).toFixed(0)} ms (slowest step ${slowest.id}, ${slowest.ms} ms), kubectl ${(kubectlTimes[i] as number).toFixed(0)} ms\n`);
    }
    const installRequests = await countedInstall(c, kc, client);
    process.stdout.write('median per step (workflow time):\n');
    for (const [id, times] of stepTimes) process.stdout.write(`  ${id}: ${median(times).toFixed(0)} ms\n`);
    const install = median(installTimes);
    const kubectl = median(kubectlTimes);
    process.stdout.write(
      [
        `runs: ${runs}`,
        `install: ${spread(installTimes)}`,
        `kubectl apply --server-side + rollout status: ${spread(kubectlTimes)}`,
        `install/kubectl per run: ${spread(installTimes.map((t, i) => t / (kubectlTimes[i] as number)), '', 2)}`,
        `Kubernetes API requests of one install: ${describeRequests(installRequests)}`,
        `Kubernetes API requests of the kubectl floor: ${kubectlRequests}`,
        `worker peak RSS: ${residentMiB(worker.pid as number).peak.toFixed(1)} MiB`,
        `install/kubectl ratio: ${(install / kubectl).toFixed(2)}`,
      ].join('\n') + '\n',
    );
  } finally {
    // Deleting the namespaces frees their NodePorts for later benches.
    for (const name of namespaces) await kc.makeApiClient(CoreV1Api).deleteNamespace({ name });
    worker.kill('SIGTERM');
    await client.connection.close();
    await ground?.stop();
  }
}

runBench(
  new Command('bench')
    .option('--runs <n>', 'installs (and kubectl floors) to run', positiveInteger, 7)
    .action(main),
);
