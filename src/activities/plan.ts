import * as k8s from '@kubernetes/client-node';
import { dryRunApply } from '../kube/apply';
import { describeRefusal, kubeRefusalOf } from '../kube/errors';
import type { ThanosSettings } from '../request/defaults';
import { renderInstall } from '../render';
import { installPlan, objectChanges, objectName, type InstallPlan, type ObjectPlan, type TkeKeyPlan } from '../render/plan';
import { applyTkeConfigEdit } from '../render/tke';
import { withLiveClaimTemplates } from '../render/volumes';
import { checkpoint } from './heartbeat';
import { installedObjects } from './remove';
import { statefulSetVolumes } from './volumes';

/** Unprocessable: the API server refuses the change itself (a field it will not change in place, ...). */
const UNPROCESSABLE = 422;
const CLAIM_SIZE_PATH = 'spec.volumeClaimTemplates[0].spec.resources.requests.storage';

/**
 * Plans an install or a reconfiguration against the cluster as it is now,
 * changing nothing: each Thanos object as a server-side dry-run of the
 * installer's apply, each StatefulSet's volumes as the reconfiguration would
 * grow them or refuses to, each TKE ConfigMap key as the install would edit
 * it, and what the installer made that these settings no longer produce.
 */
export function planActivities(kc: k8s.KubeConfig) {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return {
    /** `installed`: the cluster runs an install, so objects no longer produced would be removed. */
    async planInstall(settings: ThanosSettings, installed = false): Promise<InstallPlan> {
      const rendered = renderInstall(settings);
      const volumes = new Map((await statefulSetVolumes(kc, settings)).map((v) => [objectName(v.rendered), v]));
      let done = 0;
      // Each object on its own, all at once; the plan lists them in the rendered order.
      const planObject = async (object: (typeof rendered.objects)[number]): Promise<ObjectPlan> => {
        const name = objectName(object);
        const volume = volumes.get(name);
        if (volume?.verdict.kind === 'refused') {
          return { object: name, action: 'cannot-change-in-place', changes: [], field: volume.verdict.path, reason: volume.verdict.message };
        }
        try {
          if (volume?.verdict.kind === 'grow') {
            const { wouldBe } = await dryRunApply(kc, withLiveClaimTemplates(volume.rendered, volume.live));
            const { from, to, storageClass } = volume.verdict;
            return {
              object: name,
              action: 'grow-volumes',
              changes: [...objectChanges(volume.live, wouldBe), { path: CLAIM_SIZE_PATH, before: JSON.stringify(from), after: JSON.stringify(to) }],
              reason: `its claims grow in place to ${to} (StorageClass ${storageClass} allows expansion); the StatefulSet is re-created around its running pods, which keep running`,
            };
          }
          const { live, wouldBe } = await dryRunApply(kc, object);
          if (live === undefined) return { object: name, action: 'create', changes: [] };
          const changes = objectChanges(live, wouldBe);
          return { object: name, action: changes.length > 0 ? 'change' : 'unchanged', changes };
        } catch (err) {
          const refusal = kubeRefusalOf(err);
          if (refusal?.code !== UNPROCESSABLE) throw err;
          return {
            object: name,
            action: 'cannot-change-in-place',
            changes: [],
            reason: `the API server answered ${describeRefusal(refusal)}: keep the value it has, or uninstall and install again`,
          };
        } finally {
          checkpoint({ planned: ++done });
        }
      };
      const planned = await Promise.all(rendered.objects.map(planObject));
      const producedNames = new Set(planned.map((p) => p.object));
      for (const { name } of await installedObjects(kc, settings.namespace)) {
        if (producedNames.has(name)) continue;
        planned.push(
          installed
            ? { object: name, action: 'remove', changes: [], reason: 'these settings no longer produce it' }
            : { object: name, action: 'no-longer-produced', changes: [], reason: 'these settings do not produce it; the install leaves it in place' },
        );
      }
      const tkeConfig: TkeKeyPlan[] = await Promise.all(
        rendered.tkeConfigEdits.map(async (edit) => {
          const configMap = await core.readNamespacedConfigMap({ name: edit.configMap, namespace: settings.namespace });
          const current = configMap.data?.[edit.key] ?? '';
          const action = applyTkeConfigEdit(edit, current) === current ? 'unchanged' : 'change';
          return { configMap: edit.configMap, key: edit.key, action, consumer: edit.consumer };
        }),
      );
      return installPlan(planned, tkeConfig);
    },
  };
}
