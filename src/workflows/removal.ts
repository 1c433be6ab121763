import type { RestoreResult } from '../activities/tke-config';
import { tkeConfigTargets } from '../render/tke';
import { activitiesFor } from './activities';
import type { StepAction } from './runner';
import type { RemovalStepId } from './steps';

export interface RemovalOptions {
  namespace: string;
  deleteVolumeClaims: boolean;
  rolloutTimeoutSeconds: number;
  /** Adds a line to the progress notes. */
  note: (text: string) => void;
}

/** The restore step's result line; results recorded by earlier releases name only the consumers. */
export function restoreSummary(r: RestoreResult): string {
  const restarted = `restarted: ${r.restarted.join(', ') || 'none'}; untouched: ${r.unchanged.join(', ') || 'none'}`;
  if (r.restored === undefined) return `restored and ${restarted}`;
  const left = (r.left ?? []).map((k) => `; left as it is: ConfigMap ${k.configMap} key ${k.key} (${k.reason})`).join('');
  return `restored: ${r.restored.join(', ') || 'none'}${left}; ${restarted}`;
}

/** The note for a key a restore left: what the operator must look at, and why. */
export function leftKeyNote(k: { configMap: string; key: string; reason: string }): string {
  return `ConfigMap ${k.configMap} key ${k.key} was left as it is, not restored to its original: ${k.reason}. Make sure it no longer points at Thanos, which is removed.`;
}

/** The steps that take an install away: used by rollback and by uninstall. */
export function removalActions(options: RemovalOptions): Record<RemovalStepId, StepAction> {
  const { namespace, rolloutTimeoutSeconds } = options;
  return {
    'restore-consumers': async () => {
      const r = await activitiesFor('restore-consumers', {
        startToCloseTimeout: `${rolloutTimeoutSeconds + 60}s`,
        heartbeatTimeout: '15 seconds',
      }).restoreConsumers(namespace, tkeConfigTargets(), rolloutTimeoutSeconds);
      for (const k of r.left ?? []) options.note(leftKeyNote(k));
      return restoreSummary(r);
    },
    'remove-thanos': async () => {
      const r = await activitiesFor('remove-thanos').removeThanos(namespace, options.deleteVolumeClaims);
      const kept = r.keptVolumeClaims.length > 0 ? `; kept volume claims ${r.keptVolumeClaims.join(', ')}` : '';
      return `deleted ${r.deleted.length} objects${kept}`;
    },
    'forget-backup': async () => {
      await activitiesFor('forget-backup').forgetBackup(namespace);
      return 'backup deleted';
    },
  };
}
