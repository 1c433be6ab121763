import * as k8s from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/activity';
import type { ThanosSettings } from '../request/defaults';
import { MANAGED_BY } from '../render/labels';
import { renderThanosObjects } from '../render/thanos';
import { RECEIVE_NODEPORT_SERVICE_NAME } from '../render/thanos/receive';
import { tkeConfigEdits } from '../render/tke';
import { isNotFound } from '../kube/patch';
import { objectApi } from '../kube/object-api';

export interface PreflightResult {
  summary: string;
}

/** The NodePorts the install's Service claims, with what each is for. */
function claimedNodePorts(settings: ThanosSettings): [number, string][] {
  const { nodePorts } = settings;
  return [
    [nodePorts.receiveRemoteWrite, 'receive remote-write'],
    ...(settings.exposeReceiveGrpcHttpNodePorts
      ? ([[nodePorts.receiveGrpc, 'receive gRPC'], [nodePorts.receiveHttp, 'receive HTTP']] as [number, string][])
      : []),
  ];
}

/**
 * Checks, before anything changes, that the cluster is a TKE global cluster
 * this install can own: namespace, the three consumers and their config keys,
 * free NodePorts (or ones already ours), a usable StorageClass, and no Thanos
 * objects of the same names made by someone else. Every problem is reported
 * at once, as one non-retryable failure.
 */
async function preflight(kc: k8s.KubeConfig, settings: ThanosSettings): Promise<PreflightResult> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const storage = kc.makeApiClient(k8s.StorageV1Api);
  const ns = settings.namespace;

  try {
    await core.readNamespace({ name: ns });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw ApplicationFailure.create({
      type: 'PreflightFailed',
      nonRetryable: true,
      message: `namespace '${ns}' does not exist: this is not a TKE global cluster`,
    });
  }

  // Independent reads, all at once: each check returns the problems it found.
  const edits = tkeConfigEdits('', '');
  const consumersExist = async (): Promise<string[]> =>
    (await Promise.all([...new Set(edits.map((e) => e.consumer))].map(async (consumer) => {
      try {
        await apps.readNamespacedDeployment({ name: consumer, namespace: ns });
        return [];
      } catch (err) {
        if (!isNotFound(err)) throw err;
        return [`Deployment ${ns}/${consumer} does not exist`];
      }
    }))).flat();
  const configKeysExist = async (): Promise<string[]> =>
    (await Promise.all([...new Set(edits.map((e) => e.configMap))].map(async (configMap) => {
      try {
        const cm = await core.readNamespacedConfigMap({ name: configMap, namespace: ns });
        return edits.filter((e) => e.configMap === configMap && cm.data?.[e.key] === undefined).map((e) => `ConfigMap ${ns}/${configMap} has no key '${e.key}'`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        return [`ConfigMap ${ns}/${configMap} does not exist`];
      }
    }))).flat();
  const nodePortsFree = async (): Promise<string[]> => {
    const services = await core.listServiceForAllNamespaces();
    return claimedNodePorts(settings).flatMap(([port, purpose]) =>
      services.items
        .filter((svc) => !(svc.metadata?.namespace === ns && svc.metadata?.name === RECEIVE_NODEPORT_SERVICE_NAME))
        .filter((svc) => svc.spec?.ports?.some((p) => p.nodePort === port))
        .map((svc) => `NodePort ${port} (${purpose}) is already used by Service ${svc.metadata?.namespace}/${svc.metadata?.name}`));
  };
  const storageClassUsable = async (): Promise<string[]> => {
    const classes = await storage.listStorageClass();
    if (settings.storage.storageClass !== undefined) {
      return classes.items.some((c) => c.metadata?.name === settings.storage.storageClass)
        ? []
        : [`StorageClass '${settings.storage.storageClass}' (config.monitor.thanos.storage.storageClass) does not exist`];
    }
    return classes.items.some((c) => c.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true')
      ? []
      : ['the cluster has no default StorageClass: set config.monitor.thanos.storage.storageClass, or Thanos\'s volumes stay Pending'];
  };
  // Objects of the same names that another tool made would be taken over and
  // later removed by a rollback: refuse instead.
  const objects = objectApi(kc);
  const noForeignObjects = async (): Promise<string[]> =>
    (await Promise.all(
      renderThanosObjects(settings).map(async (object) => {
        try {
          const live = await objects.read({
            apiVersion: object.apiVersion as string,
            kind: object.kind as string,
            metadata: { name: object.metadata?.name as string, namespace: ns },
          });
          const ours = live.metadata?.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY;
          return ours ? [] : [`${object.kind} ${ns}/${object.metadata?.name} already exists and was not made by this installer`];
        } catch (err) {
          if (!isNotFound(err)) throw err;
          return [];
        }
      }),
    )).flat();
  const problems = (await Promise.all([consumersExist(), configKeysExist(), nodePortsFree(), storageClassUsable(), noForeignObjects()])).flat();

  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: 'PreflightFailed',
      nonRetryable: true,
      message: `preflight found ${problems.length} problem(s): ${problems.join('; ')}`,
    });
  }
  const ports = claimedNodePorts(settings).map(([p]) => p).join(', ');
  return { summary: `namespace ${ns} and the TKE consumers are in place; NodePorts ${ports} are free or already ours` };
}

export function preflightActivities(kc: k8s.KubeConfig) {
  return {
    preflight: (settings: ThanosSettings) => preflight(kc, settings),
  };
}
