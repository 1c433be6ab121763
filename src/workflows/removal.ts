import { tkeConfigTargets } from '../render/tke';
import { activitiesFor } from './activities';
import type { StepAction } from './runner';

export interface RemovalOptions {
  namespace: string;
  deleteVolumeClaims: boolean;
  rolloutTimeoutSeconds: number;
}

/** The steps that take an install away: used by rollback and by uninstall. */
export function removalActions(options: RemovalOptions): Record<string, StepAction> {
  const { namespace, rolloutTimeoutSeconds } = options;
  return {
    'restore-consumers': async () => {
      const r = await activitiesFor('restore-consumers', {
        startToCloseTimeout: `${rolloutTimeoutSeconds + 60}s`,
        heartbeatTimeout: '15 seconds',
      }).restoreConsumers(namespace, tkeConfigTargets(), rolloutTimeoutSeconds);
      return `restored and restarted: ${r.restarted.join(', ') || 'none'}; untouched: ${r.unchanged.join(', ') || 'none'}`;
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
