import type { RestoreResult } from '../activities/tke-config';
import { tkeConfigTargets } from '../render/tke';
import { activitiesFor, waitingActivitiesFor } from './activities';
import type { StepAction } from './runner';
import type { RemovalStepId } from './steps';

export interface RemovalOptions {
  namespace: string;
  deleteVolumeClaims: boolean;
  rolloutTimeoutSeconds: number;
  /** Reports a TKE key the restore left as it is, with what the operator must check. */
  keyLeft: (note: string) => void;
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

/**
 * Collects the keys a removal left, once each however often its restore
 * step runs, and says how the removal ended for TKE's configuration.
 */
export function keysLeftLog(notes: string[]) {
  const left = new Set<string>();
  return {
    keyLeft: (note: string): void => {
      if (left.has(note)) return;
      left.add(note);
      notes.push(note);
    },
    configuration: (): string =>
      left.size === 0
        ? 'TKE\'s original configuration is restored'
        : `TKE's original configuration is restored except ${left.size} key(s) changed since the install, left as they are (see the notes)`,
  };
}

/** The steps that take an install away: used by rollback and by uninstall. */
export function removalActions(options: RemovalOptions): Record<RemovalStepId, StepAction> {
  const { namespace, rolloutTimeoutSeconds } = options;
  return {
    'restore-consumers': async () => {
      const r = await waitingActivitiesFor('restore-consumers', rolloutTimeoutSeconds).restoreConsumers(namespace, tkeConfigTargets(), rolloutTimeoutSeconds);
      for (const k of r.left ?? []) options.keyLeft(leftKeyNote(k));
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
