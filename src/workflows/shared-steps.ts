/**
 * The steps an install and a reconfiguration take alike: the bucket check,
 * the objstore Secret, pointing TKE at Thanos and restarting it, and the
 * data-path check. Each reads the settings when it runs, so a retry with
 * corrected settings uses them.
 */
import type { ThanosSettings } from '../request/defaults';
import { tkeConfigEdits } from '../render/tke';
import { receiveRemoteWriteAddress } from '../render/tke/controller-toml';
import { thanosQueryAddress } from '../render/tke/monitor-config';
import { activitiesFor, waitingActivitiesFor } from './activities';
import type { Progress } from './progress';
import type { StepAction } from './runner';
import { verifyDataPathStep } from './verify';

type SharedStepId = 'check-bucket' | 'apply-objstore-secret' | 'reconfigure-consumers' | 'restart-consumers' | 'verify-data-path';

/** An apply's outcome for the progress log. */
export const appliedObjects = (r: { objects: string[]; changed: number }): string =>
  `${r.changed} of ${r.objects.length} objects created or changed (${r.objects.join(', ')})`;

export function sharedStepActions(settings: () => ThanosSettings, rolloutSeconds: number, progress: Progress): Record<SharedStepId, StepAction> {
  const edits = () => tkeConfigEdits(thanosQueryAddress(settings().namespace), receiveRemoteWriteAddress(settings()));
  return {
    'check-bucket': async () => {
      const check = await activitiesFor('check-bucket').checkBucket(settings().bucketConfig);
      if (!check.checked) progress.notes.push(`Bucket ${check.summary}.`);
      return check.summary;
    },
    'apply-objstore-secret': async () =>
      appliedObjects(await activitiesFor('apply-objstore-secret').applyThanosObjects(settings(), 'objstore-secret')),
    'reconfigure-consumers': async () => {
      const { changed } = await activitiesFor('reconfigure-consumers').reconfigureConsumers(settings().namespace, edits());
      return changed.length > 0 ? `changed ${changed.join(', ')}` : 'already pointing at Thanos: nothing changed';
    },
    'restart-consumers': async () => {
      const r = await waitingActivitiesFor('restart-consumers', rolloutSeconds).restartConsumers(settings().namespace, edits(), rolloutSeconds);
      return `restarted: ${r.restarted.join(', ') || 'none'}; unchanged: ${r.unchanged.join(', ') || 'none'}`;
    },
    'verify-data-path': () => verifyDataPathStep(settings()),
  };
}
