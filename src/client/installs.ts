/**
 * Starting and following installs: the one client code the API, the CLI, the
 * demo and the tests share.
 */
import { randomUUID } from 'node:crypto';
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, WorkflowIdConflictPolicy } from '@temporalio/client';
import { encryptingDataConverter } from '../codec/data-converter';
import type { CodecKeys } from '../codec/key';
import type { ThanosSettings } from '../request/defaults';
import type { InstallRequest } from '../request/schema';
import type { InstallPlan } from '../render/plan';
import { planThanos, uninstallThanos, verifyThanos } from '../workflows';
import {
  searchAttributes,
  TASK_QUEUE,
  planWorkflowIdFor,
  verifyWorkflowIdFor,
  workflowIdFor,
  type InstallInput,
  type PlanInput,
  type ReconfigureInput,
  type UninstallInput,
  type VerifyInput,
} from '../workflows/contracts';

export interface TemporalTarget {
  address: string;
  namespace: string;
  taskQueue?: string;
  codecKeys: CodecKeys;
  /** Told the method of every gRPC call to Temporal, retries included. */
  onCall?: (method: string) => void;
}

/** A gRPC interceptor that tells `onCall` each call's method (`DescribeWorkflowExecution`, ...). */
function callCounter(onCall: (method: string) => void): Interceptor {
  return (options, nextCall) => {
    onCall(options.method_definition.path.split('/').pop() ?? options.method_definition.path);
    return new InterceptingCall(nextCall(options));
  };
}

export async function connectClient(target: TemporalTarget): Promise<Client> {
  const { onCall } = target;
  const connection = await Connection.connect({
    address: target.address,
    // Counting first, then the client's usual retries, each of which is counted too.
    ...(onCall !== undefined && { interceptors: [callCounter(onCall), makeGrpcRetryInterceptor(defaultGrpcRetryOptions())] }),
  });
  return new Client({ connection, namespace: target.namespace, dataConverter: encryptingDataConverter(target.codecKeys) });
}

/** tke-installer calls the global cluster "global" when the request names none. */
export function clusterNameOf(request: InstallRequest): string {
  return request.cluster.metadata?.name ?? 'global';
}

/** What the Web UI shows for an install before anything runs: never a credential. */
function installDetails(settings: ThanosSettings): string {
  const { bucketConfig, replicas, nodePorts } = settings;
  return [
    `- Namespace: ${settings.namespace}`,
    `- Image: ${settings.image}`,
    `- Bucket: ${bucketConfig.type}${'bucket' in bucketConfig.config ? ` ${String(bucketConfig.config.bucket)}` : ''}`,
    `- Replicas: receive ${replicas.receive} (replication factor ${settings.receiveReplicationFactor}), query ${replicas.query}, store ${replicas.store}, rule ${replicas.rule}, compact 1`,
    `- Remote write: http://${settings.globalNodeIp.address}:${nodePorts.receiveRemoteWrite}/api/v1/receive (GLOBAL_NODE_IP from ${settings.globalNodeIp.source})`,
  ].join('\n');
}

export type InstallTimeouts = Pick<InstallInput, 'readinessTimeoutSeconds' | 'rolloutTimeoutSeconds'>;

/** How long an install's waits may take unless the caller says otherwise. */
export const DEFAULT_TIMEOUTS: InstallTimeouts = { readinessTimeoutSeconds: 600, rolloutTimeoutSeconds: 300 };

/**
 * The workflow's input, with everything resolved here rather than in the
 * workflow: `settings` already hold every default (`buildThanosSettings`).
 */
export function installInputOf(
  clusterName: string,
  settings: ThanosSettings,
  timeouts: Partial<InstallTimeouts> = {},
): InstallInput {
  return { clusterName, settings, ...DEFAULT_TIMEOUTS, ...timeouts };
}

export interface StartedWorkflow {
  workflowId: string;
  runId: string;
}

/** The search attributes every installer workflow starts with: its cluster, and a phase of Running. */
function startingAttributes(clusterName: string) {
  return [
    { key: searchAttributes.clusterName, value: clusterName },
    { key: searchAttributes.installPhase, value: 'Running' },
  ];
}

/**
 * Starts an install or a reconfiguration under the cluster's one workflow id
 * (shared with uninstalls), so at most one of them runs per cluster.
 */
async function startClusterChange(
  client: Client,
  workflowType: 'installThanos' | 'reconfigureThanos',
  input: InstallInput,
  summary: string,
  taskQueue: string,
  memo?: Record<string, string>,
): Promise<StartedWorkflow> {
  const handle = await client.workflow.start(workflowType, {
    taskQueue,
    memo,
    workflowId: workflowIdFor(input.clusterName),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    staticSummary: `${summary} on TKE cluster ${input.clusterName}`,
    staticDetails: installDetails(input.settings),
    typedSearchAttributes: startingAttributes(input.clusterName),
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
}

/** Starts `installThanos`. */
export function startInstall(client: Client, input: InstallInput, taskQueue = TASK_QUEUE, memo?: Record<string, string>): Promise<StartedWorkflow> {
  return startClusterChange(client, 'installThanos', input, 'Install Thanos', taskQueue, memo);
}

/** Starts `reconfigureThanos` for an installed cluster: a change, or with the settings it runs a repair of drift. */
export function startReconfigure(client: Client, input: ReconfigureInput, taskQueue = TASK_QUEUE, memo?: Record<string, string>): Promise<StartedWorkflow> {
  const repair = JSON.stringify(input.from) === JSON.stringify(input.settings);
  return startClusterChange(client, 'reconfigureThanos', input, repair ? 'Repair drift of Thanos' : 'Reconfigure Thanos', taskQueue, memo);
}

export async function startUninstall(client: Client, input: UninstallInput, taskQueue = TASK_QUEUE): Promise<StartedWorkflow> {
  const handle = await client.workflow.start(uninstallThanos, {
    taskQueue,
    workflowId: workflowIdFor(input.clusterName),
    args: [{ rolloutTimeoutSeconds: DEFAULT_TIMEOUTS.rolloutTimeoutSeconds, ...input }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    staticSummary: `Uninstall Thanos from TKE cluster ${input.clusterName}`,
    typedSearchAttributes: startingAttributes(input.clusterName),
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
}

/** How long a plan may take before it is given up (its worker may be down). */
const PLAN_TIMEOUT = '1 minute';

/** Runs `planThanos` to its end: what an install would change, nothing changed. */
export async function planInstall(client: Client, input: PlanInput, taskQueue = TASK_QUEUE): Promise<InstallPlan> {
  return client.workflow.execute(planThanos, {
    taskQueue,
    workflowId: planWorkflowIdFor(input.clusterName, randomUUID()),
    args: [input],
    workflowExecutionTimeout: PLAN_TIMEOUT,
    staticSummary: `Plan an install of Thanos on TKE cluster ${input.clusterName}`,
    typedSearchAttributes: [{ key: searchAttributes.clusterName, value: input.clusterName }],
  });
}

/** Starts `verifyThanos` for an installed cluster; a check already running for it is joined, not repeated. */
export async function startVerify(client: Client, input: VerifyInput, taskQueue = TASK_QUEUE): Promise<StartedWorkflow> {
  const handle = await client.workflow.start(verifyThanos, {
    taskQueue,
    workflowId: verifyWorkflowIdFor(input.clusterName),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: `Verify the data path of TKE cluster ${input.clusterName}`,
    typedSearchAttributes: startingAttributes(input.clusterName),
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
}
