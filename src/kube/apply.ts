import * as k8s from '@kubernetes/client-node';
import { naming } from './errors';
import { objectApi } from './object-api';

/** The one field manager every change of the installer is made under. */
export const FIELD_MANAGER = 'tke-thanos-installer';

export type ApplyOutcome = 'created' | 'changed' | 'unchanged';

export interface AppliedObject<T extends k8s.KubernetesObject> {
  object: T;
  outcome: ApplyOutcome;
}

/** `Kind namespace/name` of an object, as errors and logs name it. */
export function objectRef(object: k8s.KubernetesObject): string {
  const { namespace, name } = object.metadata ?? {};
  return `${object.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

/**
 * Server-side applies the objects, concurrently: callers pass objects that do
 * not depend on each other (apply dependencies in separate calls). Applying
 * the same objects again converges on the same state and, when nothing
 * differs, changes nothing (no resourceVersion moves). Conflicting owners are
 * overridden (force), as `kubectl apply --server-side --force-conflicts`
 * does. Each object's outcome says whether the apply created, changed or left
 * it as it was.
 *
 * `beforeWrite` runs before each write with the objects applied so far; if it
 * throws (a cancelled activity), no further write starts. The call returns or
 * throws only once no write is in flight, so that whatever comes next (a
 * rollback) never races one; a refused write fails naming its object.
 */
export async function applyObjects<T extends k8s.KubernetesObject>(
  kc: k8s.KubeConfig,
  objects: T[],
  fieldManager = FIELD_MANAGER,
  beforeWrite: (appliedSoFar: AppliedObject<T>[]) => void = () => {},
): Promise<AppliedObject<T>[]> {
  const client = objectApi(kc);
  const applied: AppliedObject<T>[] = [];
  const settled = await Promise.allSettled(
    objects.map(async (object) => {
      const named = naming(objectRef(object));
      let before: string | undefined;
      try {
        const live = await client.read(object as Parameters<typeof client.read>[0]);
        before = live.metadata?.resourceVersion;
      } catch (err) {
        if ((err as { code?: number }).code !== 404) named(err);
      }
      beforeWrite([...applied]);
      const written = await client
        .patch(withEncodedSecretData(object), undefined, undefined, fieldManager, true, k8s.PatchStrategy.ServerSideApply)
        .catch(named);
      const after = written.metadata?.resourceVersion;
      const outcome: ApplyOutcome = before === undefined ? 'created' : before === after ? 'unchanged' : 'changed';
      const result = { object: written, outcome };
      applied.push(result);
      return result;
    }),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<AppliedObject<T>>).value);
}

/**
 * What the API server would store if the installer applied the object now
 * (a server-side dry-run under its field manager; nothing is written), or
 * undefined where the object does not exist yet. A refusal (a field
 * Kubernetes will not change, ...) throws as the server gave it.
 */
export async function dryRunApply<T extends k8s.KubernetesObject>(kc: k8s.KubeConfig, object: T): Promise<{ live?: T; wouldBe: T }> {
  const client = objectApi(kc);
  let live: T | undefined;
  try {
    live = (await client.read(object as Parameters<typeof client.read>[0])) as T;
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
  const wouldBe = (await client.patch(withEncodedSecretData(object), undefined, 'All', FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply)) as T;
  return { live, wouldBe };
}

/**
 * A Secret's stringData is write-only: the server folds it into data, so an
 * applied stringData never matches what is stored and every apply would count
 * as a change. Applying data (base64) instead keeps re-applies no-ops.
 */
function withEncodedSecretData<T extends k8s.KubernetesObject>(object: T): T {
  const secret = object as k8s.V1Secret;
  if (object.kind !== 'Secret' || !secret.stringData) return object;
  const encoded = Object.fromEntries(
    Object.entries(secret.stringData).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]),
  );
  const applied = structuredClone(object) as T & k8s.V1Secret;
  applied.data = { ...secret.data, ...encoded };
  delete applied.stringData;
  return applied;
}
