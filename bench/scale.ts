/**
 * `npm run bench:scale`: installs for N clusters at once on one Temporal
 * server, each cluster with its own worker process (its own task queue and
 * THANOS_INSTALLER_CLUSTER, as the cluster registry has them). On this
 * machine the clusters are namespaces of the test ground's one kwok control
 * plane: a real control plane each (etcd, API server, controllers) does not
 * fit 2 cores ten times. Prints one install alone, then the N at once (total
 * and each), and the workers' resident memory summed.
 *
 * Usage: npm run bench:scale [-- --clusters N]   (reuses THANOS_TESTGROUND_COORDINATES if set)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Command } from 'commander';
import { connectClient, startInstall } from '../src/client/installs';
import { codecKeysOf, readCoordinates, workerEnvOn, type TestGroundCoordinates } from '../src/testground/coordinates';
import { startTestGround } from '../src/testground/ground';
import { projectRoot } from '../src/testground/paths';
import { installTkeFixture } from '../src/testground/tke-fixture';
import { checkWorker, type installThanos } from '../src/workflows';
import { cpuSeconds, describeCpu, positiveInteger, residentMiB, runBench, seedInput, spread, untilInstalled } from './support';

interface Cluster {
  name: string;
  taskQueue: string;
  worker: ChildProcess;
}

async function main({ clusters: count }: { clusters: number }): Promise<void> {
  const external = process.env.THANOS_TESTGROUND_COORDINATES;
  const ground = external ? undefined : await startTestGround();
  const c: TestGroundCoordinates = ground?.coordinates ?? readCoordinates(external);
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubernetes.kubeconfig);
  const run = Date.now().toString(36);
  const client = await connectClient({ address: c.temporal.address, namespace: c.temporal.namespace, codecKeys: codecKeysOf(c) });
  // Cluster 0 installs alone first, then all of them at once (cluster 0 into a second namespace).
  const clusters: Cluster[] = Array.from({ length: count }, (_, i) => {
    const name = `scale-${i}-${run}`;
    const taskQueue = `scale-${i}-${run}`;
    const worker = spawn(process.execPath, [resolve(projectRoot, 'dist', 'worker.js')], {
      env: { PATH: process.env.PATH, ...workerEnvOn(c, taskQueue, name) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return { name, taskQueue, worker };
  });
  const namespaces: string[] = [];
  const stepTimes = new Map<string, number[]>();
  /** A fresh namespace holding the TKE fixture, made before any timing starts. */
  const prepare = async (namespace: string): Promise<string> => {
    await installTkeFixture(kc, namespace);
    namespaces.push(namespace);
    return namespace;
  };
  /** Installs the seed's request for one cluster into its prepared namespace; its wall time in ms. */
  const install = async (cluster: Cluster, namespace: string, portBase: number): Promise<number> => {
    const input = seedInput(c, namespace, cluster.name, { receiveGrpc: portBase, receiveHttp: portBase + 1, receiveRemoteWrite: portBase + 2 });
    const start = performance.now();
    const started = await startInstall(client, input, cluster.taskQueue);
    const handle = client.workflow.getHandle<typeof installThanos>(started.workflowId);
    await untilInstalled(handle);
    const took = performance.now() - start;
    for (const step of (await handle.result()).progress.steps) {
      stepTimes.set(step.id, [...(stepTimes.get(step.id) ?? []), (step.finishedAt ?? 0) - (step.startedAt ?? 0)]);
    }
    return took;
  };
  try {
    // Not timed: every worker polls.
    await Promise.all(clusters.map((cl) => client.workflow.execute(checkWorker, { taskQueue: cl.taskQueue, workflowId: `${cl.taskQueue}-warm-up` })));
    const idle = clusters.map((cl) => residentMiB(cl.worker.pid as number).now);
    const first = clusters[0] as Cluster;
    const alone = await install(first, await prepare(`scale-alone-${run}`), 31000);
    const prepared = await Promise.all(clusters.map((_, i) => prepare(`scale-${i}-${run}`)));
    stepTimes.clear();
    const cpuBefore = cpuSeconds();
    const started = performance.now();
    const each = await Promise.all(clusters.map((cl, i) => install(cl, prepared[i] as string, 31010 + i * 10)));
    const together = performance.now() - started;
    const cpu = describeCpu(cpuBefore, cpuSeconds());
    const memory = clusters.map((cl) => residentMiB(cl.worker.pid as number));
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    process.stdout.write(
      [
        `clusters: ${count}, each with its own worker process, on one Temporal server and one kwok control plane`,
        `one install alone: ${alone.toFixed(0)} ms`,
        `${count} installs at once: ${together.toFixed(0)} ms in all (${(together / alone).toFixed(2)} x one alone); each ${spread(each)}`,
        `CPU while the ${count} ran: ${cpu}`,
        `each step of the ${count} at once: ${[...stepTimes].map(([id, times]) => `${id} ${spread(times)}`).join('; ')}`,
        `workers' resident memory, summed: ${sum(idle).toFixed(0)} MiB idle, ${sum(memory.map((m) => m.now)).toFixed(0)} MiB after, ${sum(memory.map((m) => m.peak)).toFixed(0)} MiB of peaks (each peak ${spread(memory.map((m) => m.peak), ' MiB')})`,
      ].join('\n') + '\n',
    );
  } finally {
    for (const name of namespaces) await kc.makeApiClient(CoreV1Api).deleteNamespace({ name }).catch(() => undefined);
    for (const cl of clusters) cl.worker.kill('SIGTERM');
    await client.connection.close();
    await ground?.stop();
  }
}

runBench(
  new Command('bench-scale')
    .option('--clusters <n>', 'clusters to install at once, each with its own worker', positiveInteger, 10)
    .action(main),
);
