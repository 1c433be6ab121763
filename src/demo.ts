#!/usr/bin/env node
/**
 * `npm run demo`: the product end to end on this machine, on embedded
 * defaults. Provisions the local test ground (building it on first use),
 * makes its cluster look like a TKE global cluster, starts the worker and the
 * API, submits the design proposal's example request over HTTP, follows its
 * progress onto the real node, prints the Web UI link and what changed in the
 * cluster, then shows a business cluster's sample travel from its Prometheus
 * through Receive's NodePort and Thanos Query to tke-monitor.
 * `--keep` leaves everything running until Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Command } from 'commander';
import { buildApi } from './api/server';
import { InstallerApi } from './client/api-client';
import { connectClient } from './client/installs';
import { followProgress } from './cli/progress-display';
import { TKE_NAMESPACE } from './request/defaults';
import { codecKeysOf } from './testground/coordinates';
import { businessRemoteWriteUrl, waitForSamplesAtTkeMonitor } from './testground/data-path';
import { startTestGround } from './testground/ground';
import { startGroundWorker } from './testground/ground-worker';
import { startBusinessPrometheus } from './testground/node/business-cluster';
import { binPath } from './testground/paths';
import type { ManagedProcess } from './testground/process';
import { seedRequestOn } from './testground/seed-request';
import { installTkeFixture, TKE_CONSUMERS } from './testground/tke-fixture';
import { TASK_QUEUE } from './workflows/contracts';
import { clusterRegistry } from './api/clusters';

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

/** The business cluster's external label in the demo: its series carry it all the way to tke-monitor. */
const DEMO_BUSINESS_CLUSTER = 'cls-business-demo';

async function demo(options: { keep?: boolean }): Promise<void> {
  const started = Date.now();
  const say = (text: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${text}\n`);
  say('starting the local test ground: Temporal dev server, Kubernetes with a real node (and kwok nodes), MinIO');
  const ground = await startTestGround();
  const c = ground.coordinates;
  let worker: ManagedProcess | undefined;
  let prometheus: ManagedProcess | undefined;
  try {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(c.kubernetes.kubeconfig);
    say(`making it a TKE global cluster: namespace tke on node ${c.realNode.name} (${c.realNode.ip}) with ${TKE_CONSUMERS.join(', ')}`);
    await installTkeFixture(kc);
    // The proposal's example names no cluster: tke-installer calls it "global".
    const request = seedRequestOn(c, 'real');
    const cluster = request.cluster.metadata?.name ?? 'global';
    say(`starting cluster ${cluster}'s worker on the node's network, as an installer host, and the API`);
    worker = startGroundWorker(c, TASK_QUEUE, { name: 'worker', cluster: cluster });
    const client = await connectClient({ address: c.temporal.address, namespace: c.temporal.namespace, codecKeys: codecKeysOf(c) });
    const token = randomBytes(24).toString('hex');
    const app = await buildApi({
      client,
      token,
      webUiUrl: c.temporal.uiUrl,
      clusters: clusterRegistry(new Map([[cluster, TASK_QUEUE]])),
      logLevel: 'warn',
    });
    const apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const api = new InstallerApi(apiUrl, token);
      say(`POST ${apiUrl}/api/cluster with the proposal's example request (bucket and GLOBAL_NODE_IP at ${c.realNode.ip})`);
      const answer = await api.install(request);
      if (answer.httpStatus !== 202) throw new Error(`the API refused the request: HTTP ${answer.httpStatus} ${JSON.stringify(answer.body)}`);
      const progress = await followProgress(() => api.progress(answer.body.clusterName), { stdout: process.stdout, stderr: process.stdout, stdin: process.stdin }, Boolean(process.stdout.isTTY));
      process.stdout.write(`\nWeb UI: ${answer.body.webUiUrl}\n`);
      if (progress.status !== 'Success') throw new Error(`the install ended ${progress.status}:\n${progress.data}`);
      process.stdout.write(`${[...(await clusterSummary(kc)), ...(progress.notes ?? []).map((n) => `  note: ${n}`)].join('\n')}\n\n`);

      const remoteWriteUrl = await businessRemoteWriteUrl(kc, TKE_NAMESPACE);
      say(`a business cluster's Prometheus (${c.businessCluster.ip}, outside the global cluster) remote-writes to ${remoteWriteUrl}, as tke-platform-controller.toml now says`);
      prometheus = await startBusinessPrometheus(c.businessCluster, {
        remoteWriteUrl,
        externalLabels: { cluster: DEMO_BUSINESS_CLUSTER },
        dir: join(c.runDir, 'business-cluster'),
      });
      const promql = `up{cluster="${DEMO_BUSINESS_CLUSTER}"}`;
      const sent = Date.now();
      const [sample] = await waitForSamplesAtTkeMonitor(kc, TKE_NAMESPACE, promql, 120_000);
      say(`tke-monitor-api asked Thanos Query and answered ${promql} = ${sample?.value[1]} (${((Date.now() - sent) / 1000).toFixed(1)}s after the business cluster started writing)`);
      say('Success: Thanos is installed on the TKE global cluster, and business clusters\' samples reach tke-monitor');
      if (options.keep) {
        process.stdout.write([
          '--keep: everything runs until Ctrl-C. From this host:',
          `  API      ${apiUrl} (Authorization: Bearer ${token})`,
          `  Web UI   ${c.temporal.uiUrl}`,
          `  kubectl  KUBECONFIG=${c.kubernetes.kubeconfig} ${binPath('kubectl')} get pods -n tke`,
          `  inside   nsenter -t ${c.realNode.netnsPid} -n <command> (GLOBAL_NODE_IP ${c.realNode.ip} and the bucket live there)`,
          '',
        ].join('\n'));
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        say('stopping');
      }
    } finally {
      await app.close();
      await client.connection.close();
    }
  } finally {
    await prometheus?.stop();
    await worker?.stop();
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
