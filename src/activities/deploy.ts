import type * as k8s from '@kubernetes/client-node';
import { applyObjects, type AppliedObject } from '../kube/apply';
import type { ThanosComponent, ThanosSettings } from '../request/defaults';
import { objectsOfComponent, objectsOfGroup, type ObjectGroup } from '../render/groups';
import type { ReceiveLayout } from '../render/thanos/receive';
import { checkpoint } from './heartbeat';

export interface AppliedObjects {
  /** `Kind/name: outcome` of every object, for the progress log. */
  objects: string[];
  /** How many objects the apply created or changed (a re-run changes none). */
  changed: number;
}

function describe(results: AppliedObject<k8s.KubernetesObject>[]): AppliedObjects {
  return {
    objects: results.map((r) => `${r.object.kind}/${r.object.metadata?.name}: ${r.outcome}`),
    changed: results.filter((r) => r.outcome !== 'unchanged').length,
  };
}

/**
 * Server-side applies one group of Thanos objects under the installer's field
 * manager. Re-running converges on the same objects and never deletes or
 * recreates one, so data and NodePorts survive retries. A cancellation
 * stops it before the next write, once the writes in flight have answered.
 */
export function deployActivities(kc: k8s.KubeConfig) {
  const apply = async (objects: k8s.KubernetesObject[]): Promise<AppliedObjects> =>
    describe(await applyObjects(kc, objects, undefined, (appliedSoFar) => checkpoint(describe(appliedSoFar))));
  return {
    applyThanosObjects: (settings: ThanosSettings, group: ObjectGroup) => apply(objectsOfGroup(settings, group)),
    /** One component's objects; Receive's in the layout of the roll-out's stage. */
    applyThanosComponent: (settings: ThanosSettings, component: ThanosComponent, receiveLayout?: ReceiveLayout) =>
      apply(objectsOfComponent(settings, component, receiveLayout)),
  };
}
