import type { InstallPlan } from '../render/plan';
import { activitiesFor } from './activities';
import type { PlanInput } from './contracts';

/**
 * What an install (or, for an installed cluster, a reconfiguration) with these settings would change in the cluster as it is
 * now: one read-only activity (server-side dry-runs), so that the API and the
 * CLI can show it before anything moves.
 */
export async function planThanos(input: PlanInput): Promise<InstallPlan> {
  return activitiesFor('plan').planInstall(input.settings, input.installed ?? false);
}
