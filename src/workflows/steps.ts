/** Steps an install and a reconfiguration both take. */
const CHECK_BUCKET = { id: 'check-bucket', title: 'Check the object storage bucket' } as const;
const APPLY_OBJSTORE_SECRET = { id: 'apply-objstore-secret', title: 'Apply the objstore Secret' } as const;
const RECONFIGURE_CONSUMERS = { id: 'reconfigure-consumers', title: 'Point tke-monitor at Query and tke-platform-controller at Receive' } as const;
const RESTART_CONSUMERS = { id: 'restart-consumers', title: 'Restart the reconfigured TKE components and wait for them' } as const;
const VERIFY_DATA_PATH = { id: 'verify-data-path', title: 'Verify the data path: a canary through Receive\'s NodePort, read back through Query' } as const;

/**
 * What an install does, in order, and what taking it away does: the one list
 * of named steps that the workflows, the progress query, the API and the CLI
 * all read.
 */
export const INSTALL_STEPS = [
  CHECK_BUCKET,
  { id: 'preflight', title: 'Preflight: TKE components, NodePorts, storage, existing objects' },
  APPLY_OBJSTORE_SECRET,
  { id: 'deploy-receive', title: 'Deploy Thanos Receive' },
  { id: 'deploy-query-store-compact-rule', title: 'Deploy Thanos Query, Store, Compact and Rule' },
  { id: 'wait-thanos-ready', title: 'Wait until every Thanos component is ready' },
  RECONFIGURE_CONSUMERS,
  RESTART_CONSUMERS,
  VERIFY_DATA_PATH,
] as const;

/**
 * What a different request for an installed cluster does: every change is
 * checked first, then made a component at a time so that Query keeps
 * answering and Receive keeps accepting writes. Rolling it back runs the
 * same steps toward the settings that last succeeded.
 */
export const RECONFIGURE_STEPS = [
  { id: 'check-changes', title: 'Check that every change can be made in place (server-side dry-run)' },
  CHECK_BUCKET,
  APPLY_OBJSTORE_SECRET,
  { id: 'grow-volumes', title: 'Grow the volumes asked to be larger' },
  { id: 'roll-out-thanos', title: 'Roll out Store, Compact, Rule, Receive (hashring following its replicas) and Query, one at a time' },
  { id: 'remove-unproduced', title: 'Remove the objects these settings no longer produce' },
  RECONFIGURE_CONSUMERS,
  RESTART_CONSUMERS,
  VERIFY_DATA_PATH,
] as const;

/** The order a reconfiguration rolls components out: bucket readers, then the writer, then Query, which rolls with a surge pod. */
export const ROLL_OUT_ORDER = ['store', 'compact', 'rule', 'receive', 'query'] as const;

/**
 * Changes to the install's steps that running installs must not see: each
 * is a `patched()` id, decided once at the start of the workflow, so that a
 * history recorded before the change replays the steps it ran.
 */
export const STEP_PATCHES = {
  /** Installs started before the data-path check was added end after restarting the TKE components. */
  verifyDataPath: 'verify-data-path-step',
  /**
   * A cancelled workflow waits for its running activity to stop before it
   * rolls back. Decided where a run schedules its first activity after the
   * change: runs recorded before it went on at once.
   */
  waitForCancelledActivities: 'wait-for-cancelled-activities',
  /**
   * A reconfiguration that changes Receive's pod template restarts its pods
   * one at a time, each outside the hashring, instead of letting the
   * StatefulSet restart them while they own writes. Decided at the start of
   * a reconfiguration.
   */
  receiveRestartsOutsideHashring: 'receive-restarts-outside-hashring',
  /**
   * Before Receive replicas leave the hashring for good, marker samples pin
   * their heads, so that their last flush uploads every real sample. Decided
   * at the start of a reconfiguration.
   */
  pinLeavingReceiveHeads: 'pin-leaving-receive-heads',
  /**
   * The data-path check runs while the TKE components restart: neither
   * depends on the other. Decided at the start of an install or a
   * reconfiguration: runs recorded before it took one after the other.
   */
  verifyWhileConsumersRestart: 'verify-while-consumers-restart',
} as const;

/** Steps of one list that run at the same time, where STEP_PATCHES.verifyWhileConsumersRestart holds. */
export const STEPS_RUN_TOGETHER = [[RESTART_CONSUMERS.id, VERIFY_DATA_PATH.id]] as const;

/** `verifyThanos` checks an installed cluster with the install's last step. */
export const VERIFY_STEPS = INSTALL_STEPS.filter((s) => s.id === 'verify-data-path');

/** Rollback (of a failed install) and uninstall (of a finished one) run these. */
export const REMOVAL_STEPS = [
  { id: 'restore-consumers', title: 'Restore the TKE components\' original configuration and restart them' },
  { id: 'remove-thanos', title: 'Remove the Thanos objects the install created' },
  { id: 'forget-backup', title: 'Delete the backup of the original configuration' },
] as const;

/** `planThanos` changes nothing: it compares the cluster with what an install would write. */
export const PLAN_STEPS = [
  { id: 'plan', title: 'Plan: compare the cluster with what the install would write (server-side dry-run)' },
] as const;

export type InstallStepId = (typeof INSTALL_STEPS)[number]['id'];
export type RemovalStepId = (typeof REMOVAL_STEPS)[number]['id'];
export type ReconfigureStepId = (typeof RECONFIGURE_STEPS)[number]['id'];
export const DRIFT_WATCH_STEPS = [
  { id: 'watch-drift', title: 'Watch: re-plan whenever an installed object or TKE ConfigMap changes, until the cluster stops or starts matching its settings' },
] as const;

export type StepId =
  | InstallStepId
  | RemovalStepId
  | ReconfigureStepId
  | (typeof PLAN_STEPS)[number]['id']
  | (typeof DRIFT_WATCH_STEPS)[number]['id'];

/**
 * How the workflow retries a step before giving it to the operator. Errors
 * the activity marks non-retryable (wrong credentials, a failed preflight)
 * go to the operator at once.
 */
export interface StepPolicy {
  maxAttempts: number;
  /** Pause before the second attempt; doubles up to `maxIntervalSeconds`. */
  initialIntervalSeconds: number;
  maxIntervalSeconds: number;
}

export const DEFAULT_STEP_POLICY: StepPolicy = { maxAttempts: 5, initialIntervalSeconds: 2, maxIntervalSeconds: 30 };
