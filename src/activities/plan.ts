import * as k8s from '@kubernetes/client-node';
import { dryRunApply } from '../kube/apply';
import { describeRefusal, kubeRefusalOf } from '../kube/errors';
import type { ThanosSettings } from '../request/defaults';
import { renderInstall } from '../render';
import { installPlan, objectChanges, objectName, type InstallPlan, type ObjectPlan, type TkeKeyPlan } from '../render/plan';
import { applyTkeConfigEdit } from '../render/tke';
import { checkpoint } from './heartbeat';
import { INSTALLED_KINDS, INSTALLED_SELECTOR } from './remove';

/** Unprocessable: the API server refuses the change itself (a field it will not change in place, ...). */
const UNPROCESSABLE = 422;

/**
 * Plans an install against the cluster as it is now, changing nothing: each
 * Thanos object as a server-side dry-run of the installer's apply, each TKE
 * ConfigMap key as the install would edit it, and what the installer made
 * that these settings no longer produce.
 */
export function planActivities(kc: k8s.KubeConfig) {
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return {
    async planInstall(settings: ThanosSettings): Promise<InstallPlan> {
      const rendered = renderInstall(settings);
      const planned: ObjectPlan[] = [];
      for (const object of rendered.objects) {
        checkpoint({ planned: planned.length });
        const name = objectName(object);
        try {
          const { live, wouldBe } = await dryRunApply(kc, object);
          if (live === undefined) {
            planned.push({ object: name, action: 'create', changes: [] });
          } else {
            const changes = objectChanges(live, wouldBe);
            planned.push({ object: name, action: changes.length > 0 ? 'change' : 'unchanged', changes });
          }
        } catch (err) {
          const refusal = kubeRefusalOf(err);
          if (refusal?.code !== UNPROCESSABLE) throw err;
          planned.push({ object: name, action: 'cannot-change-in-place', changes: [], reason: `the API server answered ${describeRefusal(refusal)}` });
        }
      }
      const producedNames = new Set(planned.map((p) => p.object));
      for (const { apiVersion, kind } of INSTALLED_KINDS) {
        const list = await objects.list(apiVersion, kind, settings.namespace, undefined, undefined, undefined, undefined, INSTALLED_SELECTOR);
        for (const item of list.items) {
          const name = `${kind}/${item.metadata?.name}`;
          if (!producedNames.has(name)) {
            planned.push({ object: name, action: 'no-longer-produced', changes: [], reason: 'these settings do not produce it; the install leaves it in place' });
          }
        }
      }
      const tkeConfig: TkeKeyPlan[] = [];
      for (const edit of rendered.tkeConfigEdits) {
        const configMap = await core.readNamespacedConfigMap({ name: edit.configMap, namespace: settings.namespace });
        const current = configMap.data?.[edit.key] ?? '';
        const action = applyTkeConfigEdit(edit, current) === current ? 'unchanged' : 'change';
        tkeConfig.push({ configMap: edit.configMap, key: edit.key, action, consumer: edit.consumer });
      }
      return installPlan(planned, tkeConfig);
    },
  };
}
