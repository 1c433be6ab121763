import type {
  V1Container,
  V1ContainerPort,
  V1EnvVar,
  V1ObjectMeta,
  V1PodDisruptionBudget,
  V1PodTemplateSpec,
  V1Probe,
  V1Service,
  V1ServicePort,
  V1StatefulSet,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { StatefulComponent, ThanosComponent, ThanosSettings } from '../../request/defaults';
import { componentLabels, selectorLabels } from '../labels';
import { startupFileChecksums } from '../checksum';
import { OBJSTORE_MOUNT_PATH, OBJSTORE_SECRET_NAME } from '../objstore';
import { resourceName } from './topology';

/**
 * The parts every Thanos workload shares: container defaults, probes,
 * security context, anti-affinity, Services, PodDisruptionBudgets, volumes.
 * Component builders add only their flags, ports and volumes.
 */

/** The image runs /bin/thanos as this user. */
const THANOS_UID = 1001;
const DATA_VOLUME = 'data';

export function metadata(component: ThanosComponent, settings: ThanosSettings, name = resourceName(component)): V1ObjectMeta {
  return { name, namespace: settings.namespace, labels: componentLabels(component, settings.image) };
}

export const namedPort = (name: string, containerPort: number): V1ContainerPort => ({ name, containerPort, protocol: 'TCP' });
export const servicePort = (name: string, port: number): V1ServicePort => ({ name, port, targetPort: name, protocol: 'TCP' });

/** Exposes the pod's own name to the container; `$(POD_NAME)` in args expands to it. */
export const POD_NAME_ENV: V1EnvVar = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };

export const objstoreVolume: V1Volume = {
  name: 'objstore-config',
  // Readable by the Thanos group only: it holds bucket credentials.
  secret: { secretName: OBJSTORE_SECRET_NAME, defaultMode: 0o440 },
};
export const objstoreMount: V1VolumeMount = { name: 'objstore-config', mountPath: OBJSTORE_MOUNT_PATH, readOnly: true };

export const dataPath = (component: StatefulComponent) => `/var/thanos/${component}`;
export const dataMount = (component: StatefulComponent): V1VolumeMount => ({ name: DATA_VOLUME, mountPath: dataPath(component) });

function httpProbe(path: string, periodSeconds: number, failureThreshold: number): V1Probe {
  return { httpGet: { path, port: 'http' }, periodSeconds, timeoutSeconds: 5, failureThreshold };
}

export interface ContainerSpec {
  args: string[];
  ports: V1ContainerPort[];
  volumeMounts?: V1VolumeMount[];
  env?: V1EnvVar[];
  /** How often readiness is probed, and how long the component may then stay unready without being considered stuck; defaults to every second, 100 s. */
  readiness?: { periodSeconds: number; failureThreshold: number };
}

export function thanosContainer(component: ThanosComponent, settings: ThanosSettings, spec: ContainerSpec): V1Container {
  const { requests, limits } = settings.resources[component];
  // Probed every second: a pod counts as ready within a second of saying so, and installs and roll-outs wait on that.
  const readiness = spec.readiness ?? { periodSeconds: 1, failureThreshold: 100 };
  return {
    name: 'thanos',
    image: settings.image,
    imagePullPolicy: 'IfNotPresent',
    // Go's memory limit follows the container's (a fraction of it), so the GC works before the OOM killer does.
    args: [component, '--log.level=info', '--log.format=logfmt', '--enable-auto-gomemlimit', ...spec.args],
    ...(spec.env !== undefined && { env: spec.env }),
    ports: spec.ports,
    ...(spec.volumeMounts !== undefined && { volumeMounts: spec.volumeMounts }),
    resources: { requests: { ...requests }, limits: { ...limits } },
    livenessProbe: httpProbe('/-/healthy', 30, 4),
    readinessProbe: httpProbe('/-/ready', readiness.periodSeconds, readiness.failureThreshold),
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  };
}

export interface PodSpec {
  container: V1Container;
  volumes?: V1Volume[];
  terminationGracePeriodSeconds: number;
  /** Files Thanos reads only at start-up, by a short name, with their content: a change rolls the pods. */
  readAtStartup?: Record<string, string>;
}

export function podTemplate(component: ThanosComponent, settings: ThanosSettings, spec: PodSpec): V1PodTemplateSpec {
  return {
    metadata: {
      labels: componentLabels(component, settings.image),
      ...(spec.readAtStartup !== undefined && { annotations: startupFileChecksums(spec.readAtStartup) }),
    },
    spec: {
      containers: [spec.container],
      ...(spec.volumes !== undefined && { volumes: spec.volumes }),
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
      securityContext: { runAsUser: THANOS_UID, runAsNonRoot: true, fsGroup: THANOS_UID },
      // Spread replicas over nodes where possible, without blocking scheduling on a small cluster.
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                labelSelector: { matchLabels: selectorLabels(component) },
                topologyKey: 'kubernetes.io/hostname',
              },
            },
          ],
        },
      },
    },
  };
}

/** A headless Service: stable per-pod DNS names for a StatefulSet, and SRV records for discovery. */
export function headlessService(
  component: ThanosComponent,
  settings: ThanosSettings,
  ports: V1ServicePort[],
  options: { publishNotReadyAddresses?: boolean } = {},
): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(component, settings),
    spec: {
      clusterIP: 'None',
      ...(options.publishNotReadyAddresses !== undefined && { publishNotReadyAddresses: options.publishNotReadyAddresses }),
      selector: selectorLabels(component),
      ports,
    },
  };
}

export interface StatefulSetSpec {
  replicas: number;
  /** Pods below this ordinal keep their template for now: a roll-out restarts them one by one. */
  partition?: number;
  template: V1PodTemplateSpec;
}

/** A StatefulSet with one PersistentVolumeClaim per pod for the component's data. */
export function statefulSet(component: StatefulComponent, settings: ThanosSettings, spec: StatefulSetSpec): V1StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: metadata(component, settings),
    spec: {
      replicas: spec.replicas,
      serviceName: resourceName(component),
      // Pods start together, not one by one: none needs ordered startup, and receive needs a quorum of its replicas up.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selectorLabels(component) },
      ...(spec.partition !== undefined && { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: spec.partition } } }),
      template: spec.template,
      volumeClaimTemplates: [
        {
          metadata: { name: DATA_VOLUME, labels: selectorLabels(component) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(settings.storage.storageClass !== undefined && { storageClassName: settings.storage.storageClass }),
            resources: { requests: { storage: settings.storage.size[component] } },
          },
        },
      ],
    },
  };
}

/** At most one pod of a component may be evicted at a time (node drains still proceed with one replica). */
export function podDisruptionBudget(component: ThanosComponent, settings: ThanosSettings): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: metadata(component, settings),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(component) } },
  };
}
