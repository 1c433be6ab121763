import { sha256 } from '@noble/hashes/sha2';
import { utf8ToBytes } from '@noble/hashes/utils';
import type { KubernetesObject, V1ConfigMap, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { ThanosSettings } from '../../request/defaults';
import { selectorLabels } from '../labels';
import { OBJSTORE_CONFIG_FLAG, objstoreReadAtStartup } from '../objstore';
import { GRPC_PORT, HTTP_PORT, REMOTE_WRITE_PORT, resourceName, serviceHost } from './topology';
import {
  dataMount,
  dataPath,
  headlessService,
  metadata,
  namedPort,
  objstoreMount,
  objstoreVolume,
  POD_NAME_ENV,
  podDisruptionBudget,
  podTemplate,
  servicePort,
  statefulSet,
  thanosContainer,
} from './workload';

export const HASHRING_CONFIGMAP_NAME = 'thanos-receive-hashring';
export const HASHRING_FILE_NAME = 'hashrings.json';
const HASHRING_MOUNT_PATH = '/etc/thanos/hashring';
const HASHRING_REFRESH_INTERVAL = '10s';
export const RECEIVE_NODEPORT_SERVICE_NAME = 'thanos-receive-nodeport';

/** The external label each receive replica adds, and Query deduplicates on. */
export const RECEIVE_REPLICA_LABEL = 'receive_replica';
/**
 * Receive's tenant label. Its default, `tenant_id`, would overwrite the
 * `tenant_id` external label TKE's Prometheus already sends.
 */
const RECEIVE_TENANT_LABEL = 'tenant';

/** Remote-write path business clusters' Prometheus appends to the NodePort address. */
export const REMOTE_WRITE_PATH = '/api/v1/receive';

/**
 * A receive pod's gRPC endpoint as listed in the hashring. The hashring and
 * every pod's `--receive.local-endpoint` are both built here, so they match
 * byte for byte once the kubelet expands `$(POD_NAME)`.
 */
function receiveEndpoint(podName: string, namespace: string): string {
  return `${podName}.${serviceHost('receive', namespace)}:${GRPC_PORT}`;
}

interface Hashring {
  hashring: string;
  tenants: string[];
  endpoints: string[];
}

/**
 * How Receive's objects are laid out at one moment of a roll-out. Outside a
 * roll-out, every replica is in the hashring and every pod runs the latest
 * template.
 */
export interface ReceiveLayout {
  /** The hashring lists the replicas with the lowest ordinals, this many. */
  hashringMembers: number;
  /** One of those left out of the hashring while it restarts, so that no write lands on it meanwhile. */
  outsideHashring?: number;
  /** Pods below this ordinal keep the template they run until their turn (the StatefulSet's partition). */
  keepTemplateBelow?: number;
}

/** The ordinals of the replicas the hashring lists. */
export const hashringOrdinals = (layout: ReceiveLayout): number[] =>
  Array.from({ length: layout.hashringMembers }, (_, ordinal) => ordinal).filter((ordinal) => ordinal !== layout.outsideHashring);

export const fullLayout = (settings: ThanosSettings): ReceiveLayout => ({ hashringMembers: settings.replicas.receive });

/**
 * The hashrings file: one hashring serving every tenant, with one endpoint
 * per member of the layout. Scaling lists fewer members than replicas for a
 * while: new replicas join only once Ready, leaving ones leave before they
 * stop; a restarting replica is out of it until it is back.
 */
export function hashringsFile(settings: ThanosSettings, layout = fullLayout(settings)): string {
  const endpoints = hashringOrdinals(layout).map((ordinal) => receiveEndpoint(receivePodName(ordinal), settings.namespace));
  const hashrings: Hashring[] = [{ hashring: 'default', tenants: [], endpoints }];
  return `${JSON.stringify(hashrings, null, 2)}\n`;
}

export const receivePodName = (ordinal: number): string => `${resourceName('receive')}-${ordinal}`;

/**
 * The value a receive pod reports as `thanos_receive_config_hash` once it has
 * loaded `file`: the first 48 bits of its SHA-256, little-endian (Thanos's
 * own encoding), so the installer can tell that a pod runs the new hashring.
 */
export function hashringConfigHash(file: string): number {
  const sum = sha256(utf8ToBytes(file));
  let value = 0;
  for (let i = 5; i >= 0; i--) value = value * 256 + (sum[i] ?? 0);
  return value;
}

function nodePortService(settings: ThanosSettings): V1Service {
  const { nodePorts } = settings;
  const ports: V1ServicePort[] = [
    ...(settings.exposeReceiveGrpcHttpNodePorts
      ? [
          { ...servicePort('grpc', GRPC_PORT), nodePort: nodePorts.receiveGrpc },
          { ...servicePort('http', HTTP_PORT), nodePort: nodePorts.receiveHttp },
        ]
      : []),
    { ...servicePort('remote-write', REMOTE_WRITE_PORT), nodePort: nodePorts.receiveRemoteWrite },
  ];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata('receive', settings, RECEIVE_NODEPORT_SERVICE_NAME),
    spec: { type: 'NodePort', selector: selectorLabels('receive'), ports },
  };
}

/**
 * Receive: hashring ConfigMap, headless Service, NodePort Service, StatefulSet,
 * PodDisruptionBudget, in the given layout.
 */
export function receiveObjects(settings: ThanosSettings, layout = fullLayout(settings)): KubernetesObject[] {
  const hashringConfigMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata('receive', settings, HASHRING_CONFIGMAP_NAME),
    data: { [HASHRING_FILE_NAME]: hashringsFile(settings, layout) },
  };

  const container = thanosContainer('receive', settings, {
    args: [
      `--grpc-address=0.0.0.0:${GRPC_PORT}`,
      `--http-address=0.0.0.0:${HTTP_PORT}`,
      `--remote-write.address=0.0.0.0:${REMOTE_WRITE_PORT}`,
      `--tsdb.path=${dataPath('receive')}`,
      `--tsdb.retention=${settings.retention.receive}`,
      OBJSTORE_CONFIG_FLAG,
      `--receive.hashrings-file=${HASHRING_MOUNT_PATH}/${HASHRING_FILE_NAME}`,
      // A ConfigMap update replaces the file behind a symlink, which the file
      // watch may miss after the first change: re-read it often, so scaling
      // need not wait Thanos's default five minutes.
      `--receive.hashrings-file-refresh-interval=${HASHRING_REFRESH_INTERVAL}`,
      `--receive.local-endpoint=${receiveEndpoint('$(POD_NAME)', settings.namespace)}`,
      `--receive.replication-factor=${settings.receiveReplicationFactor}`,
      // Thanos recommends ketama for every new install: adding a replica moves few series.
      '--receive.hashrings-algorithm=ketama',
      `--receive.tenant-label-name=${RECEIVE_TENANT_LABEL}`,
      `--label=${RECEIVE_REPLICA_LABEL}="$(POD_NAME)"`,
    ],
    env: [POD_NAME_ENV],
    ports: [namedPort('grpc', GRPC_PORT), namedPort('http', HTTP_PORT), namedPort('remote-write', REMOTE_WRITE_PORT)],
    volumeMounts: [
      dataMount('receive'),
      objstoreMount,
      { name: 'hashring', mountPath: HASHRING_MOUNT_PATH, readOnly: true },
    ],
  });

  return [
    hashringConfigMap,
    // Not-ready peers stay resolvable, so replication can reach a pod that is still starting.
    headlessService(
      'receive',
      settings,
      [servicePort('grpc', GRPC_PORT), servicePort('http', HTTP_PORT), servicePort('remote-write', REMOTE_WRITE_PORT)],
      { publishNotReadyAddresses: true },
    ),
    nodePortService(settings),
    statefulSet('receive', settings, {
      replicas: settings.replicas.receive,
      ...(layout.keepTemplateBelow !== undefined && { partition: layout.keepTemplateBelow }),
      template: podTemplate('receive', settings, {
        readAtStartup: objstoreReadAtStartup(settings),
        container,
        volumes: [objstoreVolume, { name: 'hashring', configMap: { name: HASHRING_CONFIGMAP_NAME } }],
        // Long enough to flush the head block and upload it before the pod goes.
        terminationGracePeriodSeconds: 900,
      }),
    }),
    podDisruptionBudget('receive', settings),
  ];
}
