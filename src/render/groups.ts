import type { KubernetesObject } from '@kubernetes/client-node';
import type { ThanosComponent, ThanosSettings } from '../request/defaults';
import { OBJSTORE_SECRET_NAME } from './objstore';
import { renderThanosObjects } from './thanos';
import type { ReceiveLayout } from './thanos/receive';

/** The install applies Thanos's objects in these groups, one step each. */
export const OBJECT_GROUPS = ['objstore-secret', 'receive', 'query-store-compact-rule'] as const;
export type ObjectGroup = (typeof OBJECT_GROUPS)[number];

const componentOf = (object: KubernetesObject): string | undefined =>
  object.metadata?.labels?.['app.kubernetes.io/component'];

function groupOf(object: KubernetesObject): ObjectGroup {
  if (object.kind === 'Secret' && object.metadata?.name === OBJSTORE_SECRET_NAME) return 'objstore-secret';
  return componentOf(object) === 'receive' ? 'receive' : 'query-store-compact-rule';
}

/** The rendered objects of one group, in apply order. */
export function objectsOfGroup(settings: ThanosSettings, group: ObjectGroup): KubernetesObject[] {
  return renderThanosObjects(settings).filter((object) => groupOf(object) === group);
}

/**
 * One component's objects, in apply order (the objstore Secret is nobody's):
 * a reconfiguration rolls components out one at a time.
 */
export function objectsOfComponent(settings: ThanosSettings, component: ThanosComponent, receiveLayout?: ReceiveLayout): KubernetesObject[] {
  return renderThanosObjects(settings, receiveLayout).filter(
    (object) => groupOf(object) !== 'objstore-secret' && componentOf(object) === component,
  );
}

/** The workloads whose readiness the install waits for, with the component each runs. */
export function thanosWorkloads(settings: ThanosSettings): { component: ThanosComponent; kind: 'Deployment' | 'StatefulSet'; name: string }[] {
  return renderThanosObjects(settings)
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((o) => ({
      component: componentOf(o) as ThanosComponent,
      kind: o.kind as 'Deployment' | 'StatefulSet',
      name: o.metadata?.name as string,
    }));
}
