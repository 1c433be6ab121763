import * as k8s from '@kubernetes/client-node';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { isNotFound, mergePatch } from '../kube/patch';
import { statefulSetNamed, watchUntil } from '../kube/watch';
import type { StatefulComponent, ThanosSettings } from '../request/defaults';
import { renderThanosObjects } from '../render/thanos';
import { selectorLabels } from '../render/labels';
import { volumeVerdict, type ClaimStorageClass, type VolumeVerdict } from '../render/volumes';
import { checkpoint } from './heartbeat';

const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** How long an orphaning delete may take: kube-controller-manager's garbage collector finishes it. */
const ORPHANED_WITHIN_MS = 60_000;

export interface StatefulSetVolumes {
  component: StatefulComponent;
  live: k8s.V1StatefulSet;
  rendered: k8s.V1StatefulSet;
  verdict: VolumeVerdict;
}

/** The StorageClass a StatefulSet's claims use: the one its template names, else the cluster's default. */
async function claimStorageClass(kc: k8s.KubeConfig, live: k8s.V1StatefulSet): Promise<ClaimStorageClass> {
  const storage = kc.makeApiClient(k8s.StorageV1Api);
  const named = live.spec?.volumeClaimTemplates?.[0]?.spec?.storageClassName;
  if (named !== undefined) {
    try {
      const found = await storage.readStorageClass({ name: named });
      return { name: named, allowVolumeExpansion: found.allowVolumeExpansion === true };
    } catch (err) {
      if (isNotFound(err)) return { name: named, allowVolumeExpansion: false };
      throw err;
    }
  }
  const classes = await storage.listStorageClass();
  const fallback = classes.items.find((c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
  return { name: fallback?.metadata?.name, allowVolumeExpansion: fallback?.allowVolumeExpansion === true };
}

/** For each installed StatefulSet, whether its volumes can become what `settings` ask for. */
export async function statefulSetVolumes(kc: k8s.KubeConfig, settings: ThanosSettings): Promise<StatefulSetVolumes[]> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const found: StatefulSetVolumes[] = [];
  for (const object of renderThanosObjects(settings)) {
    if (object.kind !== 'StatefulSet') continue;
    const rendered = object as k8s.V1StatefulSet;
    const component = rendered.metadata?.labels?.['app.kubernetes.io/component'] as StatefulComponent;
    let live: k8s.V1StatefulSet;
    try {
      live = await apps.readNamespacedStatefulSet({ name: rendered.metadata?.name ?? '', namespace: settings.namespace });
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    found.push({ component, live, rendered, verdict: volumeVerdict(component, live, rendered, await claimStorageClass(kc, live)) });
  }
  return found;
}

export function volumeActivities(kc: k8s.KubeConfig) {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  return {
    /**
     * Grows the claims of each StatefulSet whose volumes should be larger,
     * then deletes that StatefulSet with its pods and claims orphaned, so
     * that the next apply re-creates it with the new claim template around
     * the pods still running. Never shrinks or deletes a claim; refuses,
     * naming the field, what cannot be done in place.
     */
    async growVolumes(settings: ThanosSettings): Promise<string[]> {
      const done: string[] = [];
      for (const { component, live, verdict } of await statefulSetVolumes(kc, settings)) {
        if (verdict.kind === 'unchanged') continue;
        if (verdict.kind === 'refused') {
          throw ApplicationFailure.create({ type: 'CannotChangeInPlace', nonRetryable: true, message: `${verdict.path}: ${verdict.message}` });
        }
        const selector = Object.entries(selectorLabels(component)).map(([k, v]) => `${k}=${v}`).join(',');
        const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: settings.namespace, labelSelector: selector });
        for (const claim of claims.items) {
          const name = claim.metadata?.name ?? '';
          checkpoint({ growing: name });
          await core.patchNamespacedPersistentVolumeClaim(
            { name, namespace: settings.namespace, body: { spec: { resources: { requests: { storage: verdict.to } } } } },
            mergePatch,
          );
          done.push(`PersistentVolumeClaim/${name}: ${verdict.from} -> ${verdict.to}`);
        }
        const name = live.metadata?.name ?? '';
        await apps.deleteNamespacedStatefulSet({ name, namespace: settings.namespace, propagationPolicy: 'Orphan' });
        // Gone only once the garbage collector has orphaned its pods: applied before, it would be an update the API server refuses.
        const gone = await watchUntil(kc, [statefulSetNamed(kc, settings.namespace, name)], ([sets]) => (sets?.length === 0 ? true : undefined), ORPHANED_WITHIN_MS, Context.current().cancellationSignal);
        if (gone === undefined) {
          throw new Error(`StatefulSet ${settings.namespace}/${name} still exists ${ORPHANED_WITHIN_MS / 1000}s after its deletion with orphaned pods: is kube-controller-manager's garbage collector running?`);
        }
        done.push(`StatefulSet/${live.metadata?.name}: deleted with its pods orphaned, to be re-created with claims of ${verdict.to}`);
      }
      return done;
    },
  };
}
