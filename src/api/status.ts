/**
 * tke-installer's progress answer, `{status, data}`, from an install's
 * progress: pure, so the API and its tests agree on every mapping.
 */
import { stepLine, type Progress, type StepProgress } from '../workflows/progress';

/** tke-installer's statuses. */
export type InstallerStatus = 'Unknown' | 'Doing' | 'Retrying' | 'Success' | 'Failed';

export function installerStatus(progress: Progress): InstallerStatus {
  switch (progress.phase) {
    case 'Succeeded':
    case 'Uninstalled':
      return 'Success';
    case 'WaitingForOperator':
    case 'RolledBack':
    case 'Failed':
      return 'Failed';
    case 'Running':
    case 'RollingBack': {
      const steps = [...progress.steps, ...progress.rollbackSteps];
      const retrying = steps.some((s) => s.state === 'retrying' || (s.state === 'running' && s.attempts > 1));
      return retrying ? 'Retrying' : 'Doing';
    }
  }
}

/** Plain-text marks, as tke-installer's own log shows steps. */
const TEXT_MARKS: Record<StepProgress['state'], string> = {
  pending: '[ ]',
  running: '[>]',
  retrying: '[~]',
  succeeded: '[x]',
  failed: '[!]',
  skipped: '[-]',
};

const textLine = (step: StepProgress): string => stepLine(step, TEXT_MARKS);

/** The human-readable log tke-installer serves as `data`: one line per step, then the notes. */
export function progressLog(progress: Progress): string {
  const lines = [`${progress.kind} of Thanos on cluster ${progress.clusterName}: ${progress.phase}: ${progress.message}`];
  lines.push(...progress.steps.map(textLine));
  if (progress.rollbackSteps.length > 0) lines.push('rollback:', ...progress.rollbackSteps.map(textLine));
  lines.push(...progress.notes.map((note) => `note: ${note}`));
  return lines.join('\n');
}
