/**
 * Whether a StatefulSet's volumes can become what the settings ask for.
 * Kubernetes never changes a StatefulSet's volumeClaimTemplates in place;
 * the installer grows the claims themselves where the StorageClass allows
 * expansion and re-creates the StatefulSet around its running pods, and
 * refuses anything else, naming the field and the ways out. Pure: the plan
 * and the reconfiguration read the same verdict.
 */
import type { V1StatefulSet } from '@kubernetes/client-node';
import { parseQuantity } from '../request/formats';
import type { StatefulComponent } from '../request/defaults';

/** The StorageClass the claims were made with, as far as the cluster knows it. */
export interface ClaimStorageClass {
  /** Its name; undefined when the claims name none and the cluster has no default class. */
  name?: string;
  allowVolumeExpansion: boolean;
}

export type VolumeVerdict =
  | { kind: 'unchanged' }
  | { kind: 'grow'; from: string; to: string; storageClass: string }
  | { kind: 'refused'; path: string; message: string };

function claimTemplate(statefulSet: V1StatefulSet) {
  const spec = statefulSet.spec?.volumeClaimTemplates?.[0]?.spec;
  return { storageClass: spec?.storageClassName, size: spec?.resources?.requests?.storage ?? '' };
}

const UNINSTALL_OPTION = 'or uninstall and install again (with deleteVolumeClaims, the local data goes; what Receive uploaded stays in the bucket)';

export function volumeVerdict(
  component: StatefulComponent,
  live: V1StatefulSet,
  rendered: V1StatefulSet,
  storageClass: ClaimStorageClass,
): VolumeVerdict {
  const now = claimTemplate(live);
  const wanted = claimTemplate(rendered);
  const name = `StatefulSet/${live.metadata?.name}`;
  if (wanted.storageClass !== undefined && wanted.storageClass !== now.storageClass) {
    return {
      kind: 'refused',
      path: 'config.monitor.thanos.storage.storageClass',
      message:
        `the volumes of ${name} were made with StorageClass ${now.storageClass ?? `${storageClass.name ?? '(none)'} (the default)`} ` +
        `and cannot move to ${wanted.storageClass}: keep ${now.storageClass ?? 'it unset'}, ${UNINSTALL_OPTION}`,
    };
  }
  const nowBytes = parseQuantity(now.size) ?? 0;
  const wantedBytes = parseQuantity(wanted.size) ?? 0;
  if (wantedBytes === nowBytes) return { kind: 'unchanged' };
  const path = `config.monitor.thanos.storage.size.${component}`;
  if (wantedBytes < nowBytes) {
    return {
      kind: 'refused',
      path,
      message: `volumes cannot shrink: the claims of ${name} hold ${now.size}, ${wanted.size} was asked for: ask for ${now.size} or more, ${UNINSTALL_OPTION}`,
    };
  }
  if (storageClass.name === undefined || !storageClass.allowVolumeExpansion) {
    const which = storageClass.name === undefined ? 'the claims have no StorageClass' : `StorageClass ${storageClass.name} does not allow volume expansion`;
    return {
      kind: 'refused',
      path,
      message:
        `the claims of ${name} cannot grow from ${now.size} to ${wanted.size}: ${which}; ` +
        `keep ${now.size}, set allowVolumeExpansion: true on the StorageClass if its provisioner can grow volumes, ${UNINSTALL_OPTION}`,
    };
  }
  return { kind: 'grow', from: now.size, to: wanted.size, storageClass: storageClass.name };
}

/** The rendered StatefulSet with the live one's claim templates: what can be applied in place. */
export function withLiveClaimTemplates(rendered: V1StatefulSet, live: V1StatefulSet): V1StatefulSet {
  return { ...rendered, spec: { ...rendered.spec!, volumeClaimTemplates: live.spec?.volumeClaimTemplates } };
}
