import * as k8s from '@kubernetes/client-node';
import { objectApi } from './object-api';

/** Objects of one kind, as one list call returns them and a watch on `path` follows them. */
export interface WatchedObjects<T extends k8s.KubernetesObject> {
  /** The collection's URL path, e.g. `/apis/apps/v1/namespaces/tke/deployments`. */
  path: string;
  /** A field selector narrowing list and watch alike, e.g. `metadata.name=thanos-query`. */
  fieldSelector?: string;
  list: () => Promise<{ items: T[]; metadata?: k8s.V1ListMeta }>;
}

/** The one Deployment of that name, as a list and a watch see it. */
export function deploymentNamed(kc: k8s.KubeConfig, namespace: string, name: string): WatchedObjects<k8s.V1Deployment> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const fieldSelector = `metadata.name=${name}`;
  return { path: `/apis/apps/v1/namespaces/${namespace}/deployments`, fieldSelector, list: () => apps.listNamespacedDeployment({ namespace, fieldSelector }) };
}

/** The one StatefulSet of that name. */
export function statefulSetNamed(kc: k8s.KubeConfig, namespace: string, name: string): WatchedObjects<k8s.V1StatefulSet> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const fieldSelector = `metadata.name=${name}`;
  return { path: `/apis/apps/v1/namespaces/${namespace}/statefulsets`, fieldSelector, list: () => apps.listNamespacedStatefulSet({ namespace, fieldSelector }) };
}

/** The one Pod of that name. */
export function podNamed(kc: k8s.KubeConfig, namespace: string, name: string): WatchedObjects<k8s.V1Pod> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const fieldSelector = `metadata.name=${name}`;
  return { path: `/api/v1/namespaces/${namespace}/pods`, fieldSelector, list: () => core.listNamespacedPod({ namespace, fieldSelector }) };
}

/** A kind of namespaced object, as the API server names its collection. */
export interface NamespacedKind {
  apiVersion: string;
  kind: string;
  /** The collection's name in URL paths, e.g. `statefulsets`. */
  plural: string;
}

/** Every object of one kind in a namespace. */
export function objectsOfKind(kc: k8s.KubeConfig, namespace: string, { apiVersion, kind, plural }: NamespacedKind): WatchedObjects<k8s.KubernetesObject> {
  const objects = objectApi(kc);
  const group = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return { path: `${group}/namespaces/${namespace}/${plural}`, list: () => objects.list(apiVersion, kind, namespace) };
}

const keyOf = (object: k8s.KubernetesObject): string => `${object.metadata?.namespace}/${object.metadata?.name}`;

/**
 * Tells `onChange` the objects as they are now, then each time they change:
 * one list, then a watch from the list's resourceVersion, listing again only
 * when the watch ends (the API server ends each after some minutes) or its
 * version expired. No request is made while nothing changes. Runs until
 * `signal` aborts; rejects when a list fails or `onChange` throws.
 */
export async function followObjects<T extends k8s.KubernetesObject>(
  kc: k8s.KubeConfig,
  objects: WatchedObjects<T>,
  onChange: (current: T[]) => void,
  signal: AbortSignal,
): Promise<void> {
  const watch = new k8s.Watch(kc);
  while (!signal.aborted) {
    const listed = await objects.list();
    const current = new Map(listed.items.map((o) => [keyOf(o), o]));
    onChange([...current.values()]);
    const resourceVersion = listed.metadata?.resourceVersion;
    await new Promise<void>((resolve, reject) => {
      let request: AbortController | undefined;
      const end = (err?: unknown): void => {
        signal.removeEventListener('abort', stop);
        request?.abort();
        if (err === undefined) resolve();
        else reject(err);
      };
      const stop = (): void => end();
      if (signal.aborted) return end();
      signal.addEventListener('abort', stop, { once: true });
      const query = { resourceVersion, allowWatchBookmarks: true, ...(objects.fieldSelector !== undefined && { fieldSelector: objects.fieldSelector }) };
      watch
        .watch(
          objects.path,
          query,
          (type: string, object: T) => {
            // An ERROR event (the version expired): list again.
            if (type === 'ERROR') return end();
            if (type === 'BOOKMARK') return;
            if (type === 'DELETED') current.delete(keyOf(object));
            else current.set(keyOf(object), object);
            try {
              onChange([...current.values()]);
            } catch (err) {
              end(err);
            }
          },
          // The watch ended, whatever the reason: list again (the loop stops once aborted).
          () => end(),
        )
        .then(
          (controller) => {
            request = controller;
            if (signal.aborted) controller.abort();
          },
          (err: unknown) => end(err),
        );
    });
  }
}

/**
 * Follows every source in `sources` until `decide`, told the objects of each
 * (in the order given) once all are listed and after each change, returns a
 * value; returns it. Undefined once `timeoutMs` has passed. Rejects with
 * `signal`'s reason when it aborts (an activity's cancellation), or with
 * what `decide` throws.
 */
export async function watchUntil<T extends k8s.KubernetesObject, R>(
  kc: k8s.KubeConfig,
  sources: WatchedObjects<T>[],
  decide: (current: T[][]) => R | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<R | undefined> {
  const following = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let cancelled: (() => void) | undefined;
  try {
    return await new Promise<R | undefined>((resolve, reject) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
      cancelled = () => reject(signal?.reason);
      if (signal?.aborted) cancelled();
      signal?.addEventListener('abort', cancelled, { once: true });
      const latest: (T[] | undefined)[] = sources.map(() => undefined);
      for (const [i, source] of sources.entries()) {
        const changed = (current: T[]): void => {
          latest[i] = current;
          const known = latest.filter((objects): objects is T[] => objects !== undefined);
          if (known.length < sources.length) return;
          const decided = decide(known);
          if (decided !== undefined) resolve(decided);
        };
        followObjects(kc, source, changed, following.signal).catch(reject);
      }
    });
  } finally {
    clearTimeout(timer);
    if (cancelled) signal?.removeEventListener('abort', cancelled);
    following.abort();
  }
}
