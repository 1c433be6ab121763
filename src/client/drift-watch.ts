/**
 * An installed cluster's drift watch (`watchDrift`), as the API uses it: it
 * answers the same install request again from the watch's memo, and plans
 * only when the watch cannot tell.
 */
import { WorkflowIdConflictPolicy, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { watchDrift } from '../workflows';
import { DRIFT_MEMO, driftWatchWorkflowIdFor, searchAttributes, type DriftState, type DriftWatchInput } from '../workflows/contracts';

/** Whether a watch of the settings of `settingsFingerprint` runs (whatever it says now). */
export function watchFollows(watch: WorkflowExecutionDescription | undefined, settingsFingerprint: string): boolean {
  return watch?.status.name === 'RUNNING' && (watch.memo?.[DRIFT_MEMO] as DriftState | undefined)?.settingsFingerprint === settingsFingerprint;
}

/**
 * Whether a watch says the cluster matches the settings of `settingsFingerprint`.
 * Its memo counts only while its activity runs: a watch whose worker is
 * gone keeps its last memo, but loses its activity within the heartbeat timeout.
 */
export function watchSaysInSync(watch: WorkflowExecutionDescription | undefined, settingsFingerprint: string): boolean {
  if (watch === undefined || !watchFollows(watch, settingsFingerprint)) return false;
  const watching = (watch.raw.pendingActivities ?? []).some(
    (activity) => activity.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
  );
  return watching && (watch.memo?.[DRIFT_MEMO] as DriftState).inSync === true;
}

/** Starts watching a cluster found in sync with its settings, replacing a watch of other settings. */
export async function startDriftWatch(client: Client, input: DriftWatchInput, taskQueue: string): Promise<void> {
  await client.workflow.start(watchDrift, {
    taskQueue,
    workflowId: driftWatchWorkflowIdFor(input.clusterName),
    args: [input],
    memo: { [DRIFT_MEMO]: { settingsFingerprint: input.settingsFingerprint, inSync: input.inSync } satisfies DriftState },
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
    staticSummary: `Watch TKE cluster ${input.clusterName} for drift from its installed Thanos settings`,
    typedSearchAttributes: [{ key: searchAttributes.clusterName, value: input.clusterName }],
  });
}

/** Ends a cluster's watch, if one runs: its settings are about to change or go. */
export async function stopDriftWatch(client: Client, clusterName: string, reason: string): Promise<void> {
  try {
    await client.workflow.getHandle(driftWatchWorkflowIdFor(clusterName)).terminate(reason);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}
