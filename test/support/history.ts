/**
 * Reading a workflow's history the way an operator reads the Web UI's event
 * list: when an activity was scheduled, asked to cancel, and when it ended.
 */
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type Event = temporal.api.history.v1.IHistoryEvent;

export interface ActivityRun {
  name: string;
  scheduled: number;
  cancelRequested?: number;
  /** The event that ended it, and how. */
  ended?: { eventId: number; how: 'completed' | 'failed' | 'canceled' | 'timedOut' };
}

const ENDINGS = [
  ['completed', (e: Event) => e.activityTaskCompletedEventAttributes],
  ['failed', (e: Event) => e.activityTaskFailedEventAttributes],
  ['canceled', (e: Event) => e.activityTaskCanceledEventAttributes],
  ['timedOut', (e: Event) => e.activityTaskTimedOutEventAttributes],
] as const;

/** Every activity the workflow scheduled, in order, with the ids of the events that concern it. */
export function activityRuns(history: History): ActivityRun[] {
  const runs = new Map<number, ActivityRun>();
  for (const event of history.events ?? []) {
    const id = Number(event.eventId);
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) runs.set(id, { name, scheduled: id });
    const cancel = event.activityTaskCancelRequestedEventAttributes;
    if (cancel) (runs.get(Number(cancel.scheduledEventId)) as ActivityRun).cancelRequested = id;
    for (const [how, attributes] of ENDINGS) {
      const ended = attributes(event);
      if (ended) (runs.get(Number(ended.scheduledEventId)) as ActivityRun).ended = { eventId: id, how };
    }
  }
  return [...runs.values()];
}
