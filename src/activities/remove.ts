import * as k8s from '@kubernetes/client-node';
import { heartbeat } from '@temporalio/activity';
import { isNotFound } from '../kube/patch';
import { objectApi } from '../kube/object-api';
import type { NamespacedKind } from '../kube/watch';
import { MANAGED_BY } from '../render/labels';
import { objectName } from '../render/plan';
import { renderThanosObjects } from '../render/thanos';
import type { ThanosSettings } from '../request/defaults';

export interface RemovalResult {
  deleted: string[];
  keptVolumeClaims: string[];
}

/** What the install creates, by API; PersistentVolumeClaims are handled apart. */
export const INSTALLED_KINDS: NamespacedKind[] = [
  { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets' },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
];

/** Selects what the installer created. */
export const INSTALLED_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;
/** StatefulSets label their claims with the pods' selector labels. */
const VOLUME_CLAIM_SELECTOR =
  'app.kubernetes.io/instance=thanos,app.kubernetes.io/name in (thanos-receive,thanos-store,thanos-compact,thanos-rule)';

/** `Kind/name` of every object the installer made in the namespace, with what deleting it takes. */
export async function installedObjects(kc: k8s.KubeConfig, namespace: string): Promise<{ name: string; ref: k8s.KubernetesObject }[]> {
  const objects = objectApi(kc);
  const found: { name: string; ref: k8s.KubernetesObject }[] = [];
  for (const { apiVersion, kind } of INSTALLED_KINDS) {
    const list = await objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, INSTALLED_SELECTOR);
    for (const item of list.items) {
      const name = item.metadata?.name as string;
      found.push({ name: `${kind}/${name}`, ref: { apiVersion, kind, metadata: { name, namespace } } });
    }
  }
  return found;
}

/**
 * Deletes every object the install created, found by the installer's
 * managed-by label. Volume claims (and so Receive's and Store's data) are
 * kept unless `deleteVolumeClaims` asks otherwise. Idempotent: what is
 * already gone is skipped.
 */
export function removalActivities(kc: k8s.KubeConfig) {
  const objects = objectApi(kc);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const deleteIfPresent = async (ref: k8s.KubernetesObject): Promise<boolean> => {
    try {
      await objects.delete(ref, undefined, undefined, undefined, undefined, 'Background');
      return true;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return false;
    }
  };
  return {
    async removeThanos(namespace: string, deleteVolumeClaims: boolean): Promise<RemovalResult> {
      const deleted: string[] = [];
      for (const { name, ref } of await installedObjects(kc, namespace)) {
        if (await deleteIfPresent(ref)) deleted.push(name);
        heartbeat();
      }
      const claims = await core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector: VOLUME_CLAIM_SELECTOR });
      const keptVolumeClaims: string[] = [];
      for (const claim of claims.items) {
        const name = claim.metadata?.name as string;
        if (!deleteVolumeClaims) {
          keptVolumeClaims.push(name);
          continue;
        }
        try {
          await core.deleteNamespacedPersistentVolumeClaim({ name, namespace });
          deleted.push(`PersistentVolumeClaim/${name}`);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return { deleted, keptVolumeClaims };
    },

    /**
     * Deletes what the installer made that `settings` no longer produce
     * (volume claims are never among them), and nothing else.
     */
    async removeUnproducedObjects(settings: ThanosSettings): Promise<string[]> {
      const produced = new Set(renderThanosObjects(settings).map(objectName));
      const deleted: string[] = [];
      for (const { name, ref } of await installedObjects(kc, settings.namespace)) {
        if (produced.has(name)) continue;
        if (await deleteIfPresent(ref)) deleted.push(name);
        heartbeat();
      }
      return deleted;
    },
  };
}
