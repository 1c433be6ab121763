import { setThanosFeatures, thanosFeatures } from './controller-toml';
import { setThanosMonitorStorage, thanosMonitorStorage } from './monitor-config';

/**
 * One change to a key of an existing TKE ConfigMap in namespace `tke`. Plain
 * data, so a workflow can carry it; `applyTkeConfigEdit` turns the key's
 * current text into the new text.
 */
export type TkeConfigEdit =
  | { configMap: string; key: string; consumer: string; kind: 'monitor-storage'; queryAddress: string }
  | { configMap: string; key: string; consumer: string; kind: 'controller-features'; remoteWriteAddress: string };

/** The four keys the install changes, and the Deployment that must restart to read each. */
export function tkeConfigEdits(queryAddress: string, remoteWriteAddress: string): TkeConfigEdit[] {
  const monitorStorage = { key: 'tke-monitor-config.yaml', kind: 'monitor-storage', queryAddress } as const;
  const features = { kind: 'controller-features', remoteWriteAddress } as const;
  return [
    { configMap: 'tke-monitor-api', consumer: 'tke-monitor-api', ...monitorStorage },
    { configMap: 'tke-monitor-controller', consumer: 'tke-monitor-controller', ...monitorStorage },
    {
      configMap: 'tke-monitor-controller',
      key: 'tke-monitor-controller.toml',
      consumer: 'tke-monitor-controller',
      ...features,
    },
    {
      configMap: 'tke-platform-controller',
      key: 'tke-platform-controller.toml',
      consumer: 'tke-platform-controller',
      ...features,
    },
  ];
}

/** Which key of which ConfigMap an install changes, and the Deployment that reads it. */
export type TkeConfigTarget = Pick<TkeConfigEdit, 'configMap' | 'key' | 'consumer'>;

/** The keys an install changes, without the values: what a rollback restores. */
export function tkeConfigTargets(): TkeConfigTarget[] {
  return tkeConfigEdits('', '').map(({ configMap, key, consumer }) => ({ configMap, key, consumer }));
}

export function applyTkeConfigEdit(edit: TkeConfigEdit, original: string): string {
  return edit.kind === 'monitor-storage'
    ? setThanosMonitorStorage(original, edit.queryAddress)
    : setThanosFeatures(original, edit.remoteWriteAddress);
}

/** What an edit does, for a preview: a one-line summary and the values it sets. */
export function tkeConfigEditPreview(edit: TkeConfigEdit): { summary: string; set: Record<string, unknown> } {
  return edit.kind === 'monitor-storage'
    ? {
        summary: `storage in ${edit.key} becomes exactly this (any other backend is removed); every other key is kept.`,
        set: { storage: thanosMonitorStorage(edit.queryAddress) },
      }
    : {
        summary: `these [features] keys of ${edit.key} are set; every other key is kept.`,
        set: { features: thanosFeatures(edit.remoteWriteAddress) },
      };
}
