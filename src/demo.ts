#!/usr/bin/env node
/**
 * `npm run demo`: the product end to end on this machine, on embedded
 * defaults. Today it provisions the local test ground (building it on first
 * use), makes its cluster look like a TKE global cluster, proves a worker
 * reaches Temporal and Kubernetes, and prints where everything is.
 * `--keep` leaves it running for inspection until Ctrl-C.
 */
import * as k8s from '@kubernetes/client-node';
import { Command } from 'commander';
import { connectClient } from './client/installs';
import { codecKeyOf, workerConfigOn } from './testground/coordinates';
import { startTestGround } from './testground/ground';
import { installTkeFixture, TKE_CONSUMERS } from './testground/tke-fixture';
import { checkWorker } from './workflows';
import { createWorker } from './worker';

async function demo(options: { keep?: boolean }): Promise<void> {
  const started = Date.now();
  const step = (text: string): void => {
    process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${text}\n`);
  };
  step('starting the local test ground (Temporal dev server, Kubernetes with kwok nodes, MinIO)');
  const ground = await startTestGround();
  const c = ground.coordinates;
  try {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(c.kubernetes.kubeconfig);
    step(`installing the TKE global-cluster fixture: namespace tke, ${TKE_CONSUMERS.join(', ')}`);
    await installTkeFixture(kc);
    step('running the checkWorker workflow on a worker');
    const worker = await createWorker(workerConfigOn(c, 'demo'));
    const client = await connectClient({ address: c.temporal.address, namespace: c.temporal.namespace, codecKey: codecKeyOf(c) });
    const workflowId = `check-worker-${Date.now()}`;
    const info = await worker.runUntil(client.workflow.execute(checkWorker, { taskQueue: 'demo', workflowId }));
    await client.connection.close();
    await worker.connection?.close();
    step(`worker reached Kubernetes ${info.kubernetes.version} at ${info.kubernetes.server}`);
    process.stdout.write(
      [
        '',
        `Temporal Web UI: ${c.temporal.uiUrl}/namespaces/${c.temporal.namespace}/workflows/${workflowId}`,
        `Kubernetes:      KUBECONFIG=${c.kubernetes.kubeconfig}`,
        `S3 (MinIO):      http://${c.s3.endpoint} bucket ${c.s3.bucket}`,
        '',
        'Success: the local environment is up and a workflow ran end to end.',
        '',
      ].join('\n'),
    );
    if (options.keep) {
      process.stdout.write('--keep: everything stays up until Ctrl-C.\n');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    await ground.stop();
  }
}

new Command('demo')
  .description('run the product end to end on a local test ground')
  .option('--keep', 'leave everything running until Ctrl-C')
  .action(demo)
  .parseAsync()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
