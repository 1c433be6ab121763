import { Context } from '@temporalio/activity';
import type * as k8s from '@kubernetes/client-node';
import { followObjects, objectsOfKind } from '../kube/watch';
import { renderInstall } from '../render';
import { MANAGED_BY } from '../render/labels';
import { objectName } from '../render/plan';
import type { ThanosSettings } from '../request/defaults';
import { planActivities } from './plan';
import { INSTALLED_KINDS } from './remove';

/** Changes come in bursts (an apply of several objects, a rollout): the plan waits until they settle. */
const SETTLE_MS = 200;

/**
 * What of the objects of one kind a plan depends on, as one string: for each
 * object the installer renders, made or edits, its generation and metadata
 * where it has a generation (so that status updates of a rollout do not
 * count), else its resourceVersion.
 */
function versionsOf(kind: string, objects: k8s.KubernetesObject[], rendered: Set<string>): string {
  return objects
    .filter((o) => rendered.has(`${kind}/${o.metadata?.name}`) || o.metadata?.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY)
    .map(({ metadata: m }) => `${m?.name}@${m?.generation !== undefined ? JSON.stringify([m.generation, m.labels, m.annotations]) : m?.resourceVersion}`)
    .sort()
    .join(',');
}

/** Follows what the installer wrote, and re-plans when it changes; stops watching once `workerStopping` aborts. */
export function driftActivities(kc: k8s.KubeConfig, workerStopping = new AbortController().signal) {
  const { planInstall } = planActivities(kc);
  return {
    /**
     * Whether the cluster matches `settings` (a plan finds nothing to
     * change), returned as soon as that differs from `known`: plans, then
     * follows every kind the installer writes in the namespace (watches: no
     * request while nothing changes). A change to what a plan reads returns
     * null at once if `known` was true (not known any more), else is planned
     * once changes settle. After `forSeconds`, or once the worker stops,
     * returns the current answer even if it did not change.
     */
    async nextDriftState(settings: ThanosSettings, known: boolean | null, forSeconds: number): Promise<boolean | null> {
      const cancelled = Context.current().cancellationSignal;
      const rendered = renderInstall(settings);
      const watched = new Set([...rendered.objects.map(objectName), ...rendered.tkeConfigEdits.map((edit) => `ConfigMap/${edit.configMap}`)]);
      const following = new AbortController();
      let changed = false;
      let failure: unknown;
      let wake: (() => void) | undefined;
      const listedOnce = INSTALLED_KINDS.map(
        (kind) =>
          new Promise<void>((listed, fail) => {
            let seen: string | undefined;
            const onChange = (objects: k8s.KubernetesObject[]): void => {
              const now = versionsOf(kind.kind, objects, watched);
              if (seen !== undefined && now !== seen) {
                changed = true;
                wake?.();
              }
              seen = now;
              listed();
            };
            followObjects(kc, objectsOfKind(kc, settings.namespace, kind), onChange, following.signal).catch((err: unknown) => {
              failure ??= err;
              fail(err);
              wake?.();
            });
          }),
      );
      /** Resolves at the next change, failure or cancellation, or after `ms`. */
      const nextChange = (ms: number) =>
        new Promise<void>((resolve) => {
          if (changed || failure !== undefined || cancelled.aborted || workerStopping.aborted) return resolve();
          const done = (): void => {
            clearTimeout(timer);
            cancelled.removeEventListener('abort', done);
            workerStopping.removeEventListener('abort', done);
            wake = undefined;
            resolve();
          };
          const timer = setTimeout(done, ms);
          cancelled.addEventListener('abort', done, { once: true });
          workerStopping.addEventListener('abort', done, { once: true });
          wake = done;
        });
      const matches = async (): Promise<boolean> => {
        const plan = await planInstall(settings, true);
        return !plan.changes && !plan.refused;
      };
      try {
        // Listed before the first plan: a change after it is then a change the plan may not have seen.
        await Promise.all(listedOnce);
        const until = Date.now() + forSeconds * 1000;
        for (;;) {
          changed = false;
          const inSync = await matches();
          if (inSync !== known) return inSync;
          await nextChange(until - Date.now());
          if (failure !== undefined) throw failure;
          if (cancelled.aborted) throw cancelled.reason;
          // Done for now: the workflow starts the next watch, on a worker that runs.
          if (workerStopping.aborted || !changed) return inSync;
          if (inSync) return null;
          await new Promise((settled) => setTimeout(settled, SETTLE_MS));
        }
      } finally {
        following.abort();
      }
    },
  };
}
