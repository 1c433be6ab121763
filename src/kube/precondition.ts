import * as k8s from '@kubernetes/client-node';
import { FIELD_MANAGER } from './apply';

/** True for the API's 409 Conflict on a write: the object changed since it was read. */
export function isConflict(err: unknown): boolean {
  return (err as { code?: number }).code === 409;
}

/** How often a write is recomputed after a conflict before the step fails (and is retried by the workflow). */
const MAX_ATTEMPTS = 10;

/** Keys to set in an object's data, computed from its current data, and what the caller reports. */
export interface DataChange<R> {
  set: Record<string, string>;
  result: R;
}

interface DataEdit<T, R> {
  read: () => Promise<T>;
  replace: (object: T) => Promise<unknown>;
  data: (object: T) => Record<string, string>;
  withData: (object: T, set: Record<string, string>) => T;
  change: (data: Record<string, string>) => DataChange<R>;
  beforeWrite: (set: Record<string, string>) => Promise<void>;
  what: string;
}

/**
 * Read, change, write under the read resourceVersion: if anyone wrote the
 * object in between, the API server refuses the write (409 Conflict) instead
 * of losing their edit, and the change is computed afresh from a new read.
 * Nothing to set writes nothing.
 */
async function editData<T extends { metadata?: k8s.V1ObjectMeta }, R>(edit: DataEdit<T, R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const current = await edit.read();
    if (current.metadata?.resourceVersion === undefined) throw new Error(`${edit.what} was read without a resourceVersion`);
    const { set, result } = edit.change(edit.data(current));
    if (Object.keys(set).length === 0) return result;
    await edit.beforeWrite(set);
    // The read's managedFields are left out: the server keeps its own.
    const next = edit.withData({ ...current, metadata: { ...current.metadata, managedFields: undefined } }, set);
    try {
      await edit.replace(next);
      return result;
    } catch (err) {
      if (!isConflict(err)) throw err;
      if (attempt >= MAX_ATTEMPTS) throw new Error(`${edit.what} changed under every one of ${MAX_ATTEMPTS} attempts to edit it`);
    }
  }
}

/**
 * Sets keys of a ConfigMap's data, computed from its current data, without
 * ever losing a concurrent edit (see `editData`); every other key stays as
 * it is and keeps its owner. `beforeWrite` runs before each write with what
 * is about to be set.
 */
export function editConfigMapData<R>(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  change: (data: Record<string, string>) => DataChange<R>,
  beforeWrite: (set: Record<string, string>) => Promise<void> = async () => {},
): Promise<R> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return editData<k8s.V1ConfigMap, R>({
    read: () => core.readNamespacedConfigMap({ name, namespace }),
    replace: (body) => core.replaceNamespacedConfigMap({ name, namespace, body, fieldManager: FIELD_MANAGER }),
    data: (cm) => cm.data ?? {},
    withData: (cm, set) => ({ ...cm, data: { ...cm.data, ...set } }),
    change,
    beforeWrite,
    what: `ConfigMap ${namespace}/${name}`,
  });
}

const decode = (data: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
const encode = (data: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));

/** As `editConfigMapData`, for a Secret: `change` sees and sets decoded text. */
export function editSecretData<R>(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  change: (data: Record<string, string>) => DataChange<R>,
): Promise<R> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return editData<k8s.V1Secret, R>({
    read: () => core.readNamespacedSecret({ name, namespace }),
    replace: (body) => core.replaceNamespacedSecret({ name, namespace, body, fieldManager: FIELD_MANAGER }),
    data: (secret) => decode(secret.data),
    withData: (secret, set) => ({ ...secret, data: { ...secret.data, ...encode(set) } }),
    change,
    beforeWrite: async () => {},
    what: `Secret ${namespace}/${name}`,
  });
}
