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
  return `thanos-installer-${clusterName}`;
}

/** Data-path checks of a cluster have an id of their own: they may run beside nothing else but each other. */
export function verifyWorkflowIdFor(clusterName: string): string {
  return `thanos-installer-verify-${clusterName}`;
}

export interface InstallInput {
  clusterName: string;
  /** `config.monitor.thanos` of the request, validated. */
  thanos: ThanosMonitorConfig;
  globalNodeIp: GlobalNodeIp;
  /**
   * Where TKE's components live and Thanos goes. The API always uses `tke`;
   * tests and benchmarks install into namespaces of their own.
   */
  namespace?: string;
  /** How long components may take to become ready (default 600 s). */
  readinessTimeoutSeconds?: number;
  /** How long a TKE component's restart may take (default 300 s). */
  rolloutTimeoutSeconds?: number;
}

export interface UninstallInput {
  clusterName: string;
  namespace: string;
  /** Delete the Thanos volume claims, and with them the local data (default: keep). */
  deleteVolumeClaims?: boolean;
  rolloutTimeoutSeconds?: number;
}

export interface RetryRequest {
  /** A corrected `config.monitor.thanos`, replacing the one the install started with. */
  thanos?: unknown;
}

export interface RollbackRequest {
  deleteVolumeClaims?: boolean;
}

export interface InstallResult {
  phase: Progress['phase'];
  progress: Progress;
  /** The settings a successful install finished with (what `verifyThanos` checks). */
  settings?: ThanosSettings;
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
