import { Context } from '@temporalio/activity';

/**
 * How often a running activity heartbeats while it waits on a single call:
 * Temporal tells an activity of its cancellation only in answer to a
 * heartbeat, so this bounds how late a cancellation arrives.
 */
export const HEARTBEAT_INTERVAL_MS = 1000;

/** The last details each running activity reported, repeated by its ticking heartbeat. */
const lastDetails = new WeakMap<Context, { details?: unknown }>();

/**
 * Runs an activity's work heartbeating every HEARTBEAT_INTERVAL_MS with the
 * details of its last checkpoint, so that a cancellation reaches it even
 * while it waits on one slow call, and a dead worker is still noticed.
 */
export async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const state: { details?: unknown } = {};
  lastDetails.set(ctx, state);
  const timer = setInterval(() => ctx.heartbeat(state.details), HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    lastDetails.delete(ctx);
  }
}

/**
 * Call between external calls: heartbeats `details` (what the activity has
 * done so far, shown in the Web UI) and throws the activity's cancellation
 * if it was cancelled, so that nothing more starts.
 */
export function checkpoint(details?: unknown): void {
  const ctx = Context.current();
  const state = lastDetails.get(ctx);
  if (state && details !== undefined) state.details = details;
  ctx.heartbeat(details ?? state?.details);
  if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
}
