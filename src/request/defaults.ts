import type { GlobalNodeIp } from './global-node-ip';
import type { BucketConfig } from './objstore';
import type { ComponentResourcesConfig, ThanosMonitorConfig } from './schema';

export const THANOS_COMPONENTS = ['query', 'store', 'compact', 'rule', 'receive'] as const;
export type ThanosComponent = (typeof THANOS_COMPONENTS)[number];

/** The components that keep data on a PersistentVolume. */
export type StatefulComponent = Exclude<ThanosComponent, 'query'>;

/** TKE runs all of its components, and so Thanos, in this namespace. */
export const TKE_NAMESPACE = 'tke';

const DEFAULT_THANOS_IMAGE_NAME = 'thanos';
const DEFAULT_THANOS_IMAGE_TAG = 'v0.42.4';
const DEFAULT_THANOS_REGISTRY = 'quay.io/thanos';
export const DEFAULT_THANOS_IMAGE = `${DEFAULT_THANOS_REGISTRY}/${DEFAULT_THANOS_IMAGE_NAME}:${DEFAULT_THANOS_IMAGE_TAG}`;

/** One replica each, as the seed proposal installs; compact can never have more. */
export const DEFAULT_REPLICAS = { query: 1, store: 1, rule: 1, receive: 1 } as const;

/** The seed's port table: receive gRPC, HTTP and remote-write as NodePorts 31139, 31140, 31141. */
export const DEFAULT_NODE_PORTS = { receiveGrpc: 31139, receiveHttp: 31140, receiveRemoteWrite: 31141 } as const;

export const DEFAULT_STORAGE_SIZE: Record<StatefulComponent, string> = {
  // Receive holds the local TSDB until blocks are uploaded, plus its WAL.
  receive: '50Gi',
  // Store only caches index headers.
  store: '20Gi',
  // Compact downloads the blocks it compacts and downsamples.
  compact: '100Gi',
  rule: '10Gi',
};

export const DEFAULT_RETENTION = { raw: '30d', fiveMinutes: '90d', oneHour: '1y', receive: '1d' } as const;

export interface ResourceSpec {
  requests: { cpu: string; memory: string };
  limits: { cpu?: string; memory: string };
}

// Requests for scheduling and a memory limit against runaway queries; no CPU limit, to avoid throttling.
export const DEFAULT_RESOURCES: Record<ThanosComponent, ResourceSpec> = {
  query: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '2Gi' } },
  store: { requests: { cpu: '100m', memory: '512Mi' }, limits: { memory: '2Gi' } },
  compact: { requests: { cpu: '100m', memory: '512Mi' }, limits: { memory: '2Gi' } },
  rule: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
  receive: { requests: { cpu: '200m', memory: '1Gi' }, limits: { memory: '4Gi' } },
};

/** Everything the renderers need, with every default filled in. */
export interface ThanosSettings {
  namespace: string;
  image: string;
  bucketConfig: BucketConfig;
  globalNodeIp: GlobalNodeIp;
  replicas: { query: number; store: number; rule: number; receive: number; compact: 1 };
  receiveReplicationFactor: number;
  exposeReceiveGrpcHttpNodePorts: boolean;
  /** End the install with a canary written through Receive's NodePort and read back through Query. */
  verifyDataPath: boolean;
  /** Where Rule sends alerts; none: nowhere. */
  alertmanagers: string[];
  /** What alerts link to as their source; unset: the in-cluster Query address. */
  alertQueryUrl?: string;
  nodePorts: { receiveGrpc: number; receiveHttp: number; receiveRemoteWrite: number };
  storage: { storageClass?: string; size: Record<StatefulComponent, string> };
  retention: { raw: string; fiveMinutes: string; oneHour: string; receive: string };
  resources: Record<ThanosComponent, ResourceSpec>;
}

function thanosImage(thanos: Pick<ThanosMonitorConfig, 'image' | 'imageRegistry'>): string {
  if (thanos.image !== undefined) return thanos.image;
  const registry = thanos.imageRegistry ?? DEFAULT_THANOS_REGISTRY;
  return `${registry}/${DEFAULT_THANOS_IMAGE_NAME}:${DEFAULT_THANOS_IMAGE_TAG}`;
}

/** A component's resources: each value the user gave replaces the default one, the rest stay. */
function effectiveResources(component: ThanosComponent, given: ComponentResourcesConfig | undefined): ResourceSpec {
  const defaults = DEFAULT_RESOURCES[component];
  return {
    requests: { ...defaults.requests, ...given?.requests },
    limits: { ...defaults.limits, ...given?.limits },
  };
}

/** Fills in every default for a validated `config.monitor.thanos`. */
export function buildThanosSettings(thanos: ThanosMonitorConfig, globalNodeIp: GlobalNodeIp): ThanosSettings {
  return {
    namespace: TKE_NAMESPACE,
    image: thanosImage(thanos),
    bucketConfig: thanos.bucketConfig,
    globalNodeIp,
    replicas: { ...DEFAULT_REPLICAS, ...thanos.replicas, compact: 1 },
    receiveReplicationFactor: thanos.receiveReplicationFactor ?? 1,
    exposeReceiveGrpcHttpNodePorts: thanos.exposeReceiveGrpcHttpNodePorts ?? true,
    verifyDataPath: thanos.verifyDataPath ?? true,
    alertmanagers: thanos.alertmanagers ?? [],
    ...(thanos.alertQueryUrl !== undefined && { alertQueryUrl: thanos.alertQueryUrl }),
    nodePorts: { ...DEFAULT_NODE_PORTS, ...thanos.nodePorts },
    storage: {
      ...(thanos.storage?.storageClass !== undefined && { storageClass: thanos.storage.storageClass }),
      size: { ...DEFAULT_STORAGE_SIZE, ...thanos.storage?.size },
    },
    retention: { ...DEFAULT_RETENTION, ...thanos.retention },
    resources: Object.fromEntries(
      THANOS_COMPONENTS.map((component) => [component, effectiveResources(component, thanos.resources?.[component])]),
    ) as Record<ThanosComponent, ResourceSpec>,
  };
}
