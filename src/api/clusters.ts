/**
 * Which global clusters this installer serves, and the task queue of the
 * worker holding each one's kubeconfig. Work for a cluster goes to its own
 * worker only, so a request can never reach another cluster's objects.
 */
import { TASK_QUEUE } from '../workflows/contracts';

/** Cluster names every route can address: what TKE names clusters (a DNS label). */
export const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const CLUSTER_NAME_RULE =
  'a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters';

export function isClusterName(name: string): boolean {
  return CLUSTER_NAME.test(name) && name.length <= 63;
}

export interface ClusterRegistry {
  /** The task queue of the cluster's worker; undefined for a cluster this installer does not serve. */
  taskQueueOf(clusterName: string): string | undefined;
  /** The names of the clusters served. */
  names(): string[];
}

export const CLUSTERS_ENV = 'THANOS_INSTALLER_CLUSTERS';

/** tke-installer's own cluster, on the worker's default task queue: what an installer without a registry serves. */
const DEFAULT_CLUSTERS = `global=${TASK_QUEUE}`;

/** A registry of fixed entries. */
export function clusterRegistry(entries: ReadonlyMap<string, string>): ClusterRegistry {
  return {
    taskQueueOf: (clusterName) => entries.get(clusterName),
    names: () => [...entries.keys()],
  };
}

/**
 * Parses THANOS_INSTALLER_CLUSTERS: comma-separated `name=taskQueue` entries
 * (a bare `name` means task queue `thanos-installer-<name>`), for example
 * `global=thanos-installer-global,shanghai=thanos-installer-shanghai`.
 */
export function parseClusterRegistry(spec: string): ClusterRegistry {
  const entries = new Map<string, string>();
  for (const [index, raw] of spec.split(',').entries()) {
    const entry = raw.trim();
    const where = `${CLUSTERS_ENV} entry ${index + 1} ('${entry}')`;
    const [name = '', taskQueue = `${TASK_QUEUE}-${name}`, extra] = entry.split('=').map((s) => s.trim());
    if (extra !== undefined || taskQueue === '') throw new Error(`${where}: must be name=taskQueue`);
    if (!isClusterName(name)) throw new Error(`${where}: the cluster name must be ${CLUSTER_NAME_RULE}`);
    if (entries.has(name)) throw new Error(`${where}: cluster ${name} is listed twice`);
    entries.set(name, taskQueue);
  }
  return clusterRegistry(entries);
}

export function clusterRegistryFromEnv(env: NodeJS.ProcessEnv): ClusterRegistry {
  return parseClusterRegistry(env[CLUSTERS_ENV]?.trim() || DEFAULT_CLUSTERS);
}
