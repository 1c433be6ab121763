/**
 * The worker process: polls the installer's task queue and runs workflows and
 * activities. Configured from the environment:
 *   TEMPORAL_ADDRESS    (default 127.0.0.1:7233)
 *   TEMPORAL_NAMESPACE  (default "default")
 *   TEMPORAL_TASK_QUEUE (default "thanos-installer")
 *   KUBECONFIG          (a kubeconfig file; unset: the pod's in-cluster account)
 *   THANOS_INSTALLER_CLUSTER (the name of the cluster that kubeconfig reaches;
 *                       when set, activities of other clusters' workflows are refused)
 *   THANOS_INSTALLER_CODEC_KEY[_FILE], or THANOS_INSTALLER_CODEC_KEYS[_FILE]
 *   and THANOS_INSTALLER_CODEC_KEY_ID (the payload encryption keys; required)
 * SIGINT or SIGTERM shut it down gracefully: it stops polling and lets
 * running activities finish.
 */
import './heap-limits';
import { join } from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { KubeConfig } from '@kubernetes/client-node';
import { createActivities } from './activities';
import { clusterGuard } from './activities/cluster-guard';
import { encryptingDataConverter } from './codec/data-converter';
import { loadCodecKeys, type CodecKeys } from './codec/key';
import { loadKubeConfig } from './kube/config';
import { TASK_QUEUE } from './workflows/contracts';

export interface WorkerConfig {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  kubeconfig?: string;
  /** The cluster the kubeconfig reaches: set, the worker refuses work of every other cluster. */
  cluster?: string;
  codecKeys: CodecKeys;
  /** The workflow code bundled at build time; unset, the worker bundles the sources itself (tests run it so). */
  workflowBundle?: string;
}

/** Where `npm run build` writes the bundled workflow code: beside the built worker. */
export const WORKFLOW_BUNDLE = join(__dirname, 'workflow-bundle.js');

export function workerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || TASK_QUEUE,
    kubeconfig: env.KUBECONFIG || undefined,
    cluster: env.THANOS_INSTALLER_CLUSTER || undefined,
    codecKeys: loadCodecKeys(env),
  };
}

/** Connects to Temporal and creates (but does not run) the worker; its activities reach Kubernetes through `kc`. */
export async function createWorker(config: WorkerConfig, kc: KubeConfig = loadKubeConfig(config.kubeconfig)): Promise<Worker> {
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const stopping = new AbortController();
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    dataConverter: encryptingDataConverter(config.codecKeys),
    ...(config.workflowBundle === undefined ? { workflowsPath: require.resolve('./workflows') } : { workflowBundle: { codePath: config.workflowBundle } }),
    activities: createActivities({ kc, stopping: stopping.signal }),
    interceptors: config.cluster === undefined ? {} : { activity: [clusterGuard(config.cluster)] },
    // Time for running activities to finish after SIGINT/SIGTERM.
    shutdownGraceTime: '30 seconds',
    // Heartbeats reach Temporal, and its answer (a cancellation) the activity,
    // within a second rather than after most of the heartbeat timeout.
    maxHeartbeatThrottleInterval: '1 second',
  });
  // Shutdown (asked by a signal or a caller) cancels activities only after the grace time; watches stop at once.
  const shutdown = worker.shutdown.bind(worker);
  worker.shutdown = () => {
    stopping.abort();
    shutdown();
  };
  return worker;
}

async function main(): Promise<void> {
  const config = { ...workerConfigFromEnv(), workflowBundle: WORKFLOW_BUNDLE };
  const worker = await createWorker(config);
  console.log(`worker polling ${config.taskQueue} on ${config.temporalAddress} (namespace ${config.namespace})`);
  await worker.run();
  await worker.connection?.close();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
