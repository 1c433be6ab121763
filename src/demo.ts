#!/usr/bin/env node
/**
 * `npm run demo`: the product end to end on this machine, on embedded
 * defaults. Provisions the local test ground (building it on first use),
 * makes its cluster look like a TKE global cluster, starts the worker and the
 * API, submits the design proposal's example request over HTTP, follows its
 * progress, and prints the Web UI link and what changed in the cluster.
 * `--keep` leaves everything running until Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Command } from 'commander';
import { buildApi } from './api/server';
import { InstallerApi } from './client/api-client';
import { connectClient } from './client/installs';
import { followProgress } from './cli/progress-display';
import { codecKeyOf, workerConfigOn } from './testground/coordinates';
import { startTestGround } from './testground/ground';
import { seedRequestOn } from './testground/seed-request';
import { installTkeFixture, TKE_CONSUMERS } from './testground/tke-fixture';
import { TASK_QUEUE } from './workflows/contracts';
import { createWorker } from './worker';

/** What the install changed, read back from the cluster. */
async function clusterSummary(kc: k8s.KubeConfig): Promise<string[]> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const lines: string[] = ['What changed in namespace tke:'];
  for (const sts of (await apps.listNamespacedStatefulSet({ namespace: 'tke' })).items) {
    lines.push(`  StatefulSet ${sts.metadata?.name}: ${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas} ready`);
  }
  for (const d of (await apps.listNamespacedDeployment({ namespace: 'tke' })).items) {
    const restarted = d.spec?.template.metadata?.annotations?.['thanos-installer.tkestack.io/config-hash'];
    const note = TKE_CONSUMERS.includes(d.metadata?.name as (typeof TKE_CONSUMERS)[number]) ? (restarted ? ' (reconfigured and restarted)' : '') : '';
    lines.push(`  Deployment ${d.metadata?.name}: ${d.status?.availableReplicas ?? 0}/${d.spec?.replicas} available${note}`);
  }
  const nodePort = await core.readNamespacedService({ name: 'thanos-receive-nodeport', namespace: 'tke' });
  lines.push(`  Service thanos-receive-nodeport: ${(nodePort.spec?.ports ?? []).map((p) => `${p.nodePort}->${p.port}`).join(', ')}`);
  const monitor = await core.readNamespacedConfigMap({ name: 'tke-monitor-api', namespace: 'tke' });
  const address = /address: (\S+)/.exec(monitor.data?.['tke-monitor-config.yaml'] ?? '')?.[1];
  lines.push(`  tke-monitor-api and tke-monitor-controller read Thanos Query at ${address}`);
  const platform = await core.readNamespacedConfigMap({ name: 'tke-platform-controller', namespace: 'tke' });
  const remoteWrite = /monitor_storage_addresses = "([^"]+)"/.exec(platform.data?.['tke-platform-controller.toml'] ?? '')?.[1];
  lines.push(`  tke-platform-controller sends business clusters' Prometheus to ${remoteWrite}/api/v1/receive`);
  return lines;
}

async function demo(options: { keep?: boolean }): Promise<void> {
  const started = Date.now();
  const say = (text: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${text}\n`);
  say('starting the local test ground: Temporal dev server, Kubernetes with kwok nodes, MinIO');
  const ground = await startTestGround();
  const c = ground.coordinates;
  try {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(c.kubernetes.kubeconfig);
    say(`making it a TKE global cluster: namespace tke with ${TKE_CONSUMERS.join(', ')}`);
    await installTkeFixture(kc);
    say('starting the worker and the API');
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const worker = await createWorker(workerConfigOn(c, TASK_QUEUE));
    const running = worker.run();
    const client = await connectClient({ address: c.temporal.address, namespace: c.temporal.namespace, codecKey: codecKeyOf(c) });
    const token = randomBytes(24).toString('hex');
    const app = await buildApi({ client, token, webUiUrl: c.temporal.uiUrl, logLevel: 'warn' });
    const apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const api = new InstallerApi(apiUrl, token);
      say(`POST ${apiUrl}/api/cluster with the proposal's example request`);
      const answer = await api.install(seedRequestOn(c));
      if (answer.httpStatus !== 202) throw new Error(`the API refused the request: HTTP ${answer.httpStatus} ${JSON.stringify(answer.body)}`);
      const progress = await followProgress(api, answer.body.clusterName, { stdout: process.stdout, stderr: process.stdout, stdin: process.stdin }, Boolean(process.stdout.isTTY));
      process.stdout.write(`\nWeb UI: ${answer.body.webUiUrl}\n`);
      if (progress.status !== 'Success') throw new Error(`the install ended ${progress.status}:\n${progress.data}`);
      process.stdout.write(`${[...(await clusterSummary(kc)), ...(progress.notes ?? []).map((n) => `  note: ${n}`)].join('\n')}\n\n`);
      say('Success: Thanos is installed on the TKE global cluster');
      if (options.keep) {
        process.stdout.write(`--keep: API ${apiUrl} (token ${token}), KUBECONFIG=${c.kubernetes.kubeconfig}; Ctrl-C stops everything.\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
      }
    } finally {
      await app.close();
      worker.shutdown();
      await running;
      await client.connection.close();
      await worker.connection?.close();
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
