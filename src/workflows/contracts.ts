/**
 * Contracts shared by workflows, the worker, clients and the test ground:
 * task queue, workflow ids, inputs, queries, updates and search attributes.
 * Safe to import from workflow code.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ThanosSettings } from '../request/defaults';
import type { GlobalNodeIp } from '../request/global-node-ip';
import type { ThanosMonitorConfig } from '../request/schema';
import type { Progress } from './progress';

export const TASK_QUEUE = 'thanos-installer';

/**
 * One workflow id per TKE cluster for installs and uninstalls alike, so that
 * Temporal itself guarantees two never run at once for one cluster.
 */
export function workflowIdFor(clusterName: string): string {
  return `${WORKFLOW_ID_PREFIX}${clusterName}`;
}

/** Data-path checks of a cluster have an id of their own: they may run beside nothing else but each other. */
export function verifyWorkflowIdFor(clusterName: string): string {
  return `${VERIFY_WORKFLOW_ID_PREFIX}${clusterName}`;
}

/** Plans change nothing and may run side by side: each has an id of its own (`unique` is the caller's). */
export function planWorkflowIdFor(clusterName: string, unique: string): string {
  return `${PLAN_WORKFLOW_ID_PREFIX}${clusterName}.${unique}`;
}

/** The watch that keeps whether an installed cluster still matches its settings (one per cluster). */
export function driftWatchWorkflowIdFor(clusterName: string): string {
  return `${DRIFT_WATCH_WORKFLOW_ID_PREFIX}${clusterName}`;
}

const WORKFLOW_ID_PREFIX = 'thanos-installer-';
// The dots keep these apart from every install's id: a cluster name holds none
// (with a dash, verifying cluster x and installing cluster verify-x shared one).
const VERIFY_WORKFLOW_ID_PREFIX = 'thanos-installer-verify.';
const PLAN_WORKFLOW_ID_PREFIX = 'thanos-installer-plan.';
const DRIFT_WATCH_WORKFLOW_ID_PREFIX = 'thanos-installer-drift.';

/** The cluster an installer workflow works on, read back from its id; undefined for any other workflow. */
export function clusterOfWorkflow(workflowType: string, workflowId: string): string | undefined {
  // A cluster name is a DNS label: it holds no dot.
  if (workflowType === 'planThanos') {
    return workflowId.startsWith(PLAN_WORKFLOW_ID_PREFIX) ? workflowId.slice(PLAN_WORKFLOW_ID_PREFIX.length).split('.')[0] : undefined;
  }
  const prefix = {
    installThanos: WORKFLOW_ID_PREFIX,
    reconfigureThanos: WORKFLOW_ID_PREFIX,
    uninstallThanos: WORKFLOW_ID_PREFIX,
    verifyThanos: VERIFY_WORKFLOW_ID_PREFIX,
    watchDrift: DRIFT_WATCH_WORKFLOW_ID_PREFIX,
  }[workflowType];
  return prefix !== undefined && workflowId.startsWith(prefix) ? workflowId.slice(prefix.length) : undefined;
}

/**
 * What `installThanos` is started with. Everything is resolved by the client
 * (the API, the CLI, tests) before the workflow starts: the workflow reads no
 * default of its own, so a release that changes a default never changes an
 * install that is already running or waiting for the operator.
 */
export interface InstallInput {
  clusterName: string;
  /** The settings to install, every default filled in (`buildThanosSettings`), namespace included. */
  settings: ThanosSettings;
  /** How long components may take to become ready. */
  readinessTimeoutSeconds: number;
  /** How long a TKE component's restart may take. */
  rolloutTimeoutSeconds: number;
}

/**
 * What installs started before settings were resolved by the client carry:
 * the request's `config.monitor.thanos`, defaults filled in by the workflow.
 * Accepted only so that those installs replay and finish (see input-v1.ts).
 */
export interface InstallInputV1 {
  clusterName: string;
  thanos: ThanosMonitorConfig;
  globalNodeIp: GlobalNodeIp;
  namespace?: string;
  readinessTimeoutSeconds?: number;
  rolloutTimeoutSeconds?: number;
}

/**
 * What `reconfigureThanos` is started with: an installed cluster, the
 * settings it runs with (those of its last run that succeeded) and the ones
 * asked for now, both resolved by the client. The same settings twice
 * repair drift.
 */
export interface ReconfigureInput extends InstallInput {
  /** The settings the cluster runs with: what a rollback returns to. */
  from: ThanosSettings;
}

export interface UninstallInput {
  clusterName: string;
  namespace: string;
  /** Delete the Thanos volume claims, and with them the local data (default: keep). */
  deleteVolumeClaims?: boolean;
  /** How long a TKE component's restart may take; resolved by the client (absent only in uninstalls of release 1). */
  rolloutTimeoutSeconds?: number;
}

export interface RetryRequest {
  /**
   * Corrected settings, every default filled in by the client, replacing the
   * ones the install started with; the namespace cannot change.
   */
  settings?: ThanosSettings;
  /** A corrected `config.monitor.thanos`, as release 1's clients sent it: refused now, replayed as before. */
  thanos?: unknown;
}

export interface RollbackRequest {
  deleteVolumeClaims?: boolean;
}

export interface InstallResult {
  phase: Progress['phase'];
  progress: Progress;
  /**
   * The settings the cluster runs with once the run ended (what `verifyThanos`
   * checks, and what a reconfiguration starts from): a successful run's, or
   * those a rolled-back reconfiguration returned to; none where Thanos was
   * removed.
   */
  settings?: ThanosSettings;
}

export interface PlanInput {
  clusterName: string;
  /** The settings an install would run with, every default filled in. */
  settings: ThanosSettings;
  /** The cluster runs an install: the change would be a reconfiguration, which removes what it no longer produces. */
  installed?: boolean;
}

export interface DriftWatchInput {
  clusterName: string;
  /** The settings the cluster was installed with, every default filled in. */
  settings: ThanosSettings;
  /** The settings' fingerprint as the API computes it; the memo repeats it, so that the API trusts only a watch of the settings it asks about. */
  settingsFingerprint: string;
  /** Whether the cluster matched the settings when the watch (or its previous run) last looked; null if unknown. */
  inSync: boolean | null;
}

/** The memo key under which a drift watch keeps what it saw last (a DriftState). */
export const DRIFT_MEMO = 'drift';

export interface DriftState {
  settingsFingerprint: string;
  /** Null while the watch does not know: something changed and is not planned yet, or its worker failed to plan. */
  inSync: boolean | null;
}

export interface VerifyInput {
  clusterName: string;
  /** The settings the cluster's install finished with, every default filled in. */
  settings: ThanosSettings;
}

/** Error types with which `retry` and `rollback` refuse, so clients can tell them apart. */
export const NOT_WAITING = 'NotWaitingForOperator';
export const INVALID_SETTINGS = 'InvalidSettings';

export const progressQuery = defineQuery<Progress>('progress');
/** The settings the install runs with now (the API builds a corrected retry on them). */
export const settingsQuery = defineQuery<ThanosSettings>('settings');
/** Resume from the failed step, optionally with corrected Thanos settings. */
export const retryUpdate = defineUpdate<Progress, [RetryRequest]>('retry');
/** Take the install away: restore TKE's configuration and remove what was created. */
export const rollbackUpdate = defineUpdate<Progress, [RollbackRequest]>('rollback');

/** Custom search attributes, registered on the Temporal server before use. */
export const searchAttributes = {
  clusterName: defineSearchAttributeKey('TkeClusterName', SearchAttributeType.KEYWORD),
  installPhase: defineSearchAttributeKey('ThanosInstallPhase', SearchAttributeType.KEYWORD),
};

/** The attributes as the `temporal` CLI takes them: `Name=Type`. */
export function searchAttributeFlags(): string[] {
  const cliType: Record<string, string> = { [SearchAttributeType.KEYWORD]: 'Keyword' };
  return Object.values(searchAttributes).map((key) => `${key.name}=${cliType[key.type] ?? key.type}`);
}
