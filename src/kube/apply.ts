import * as k8s from '@kubernetes/client-node';

/** The one field manager every change of the installer is made under. */
export const FIELD_MANAGER = 'tke-thanos-installer';

/**
 * Server-side applies each object in order. Applying the same objects again
 * converges on the same state and, when nothing differs, changes nothing
 * (no resourceVersion moves). Conflicting owners are overridden (force), as
 * `kubectl apply --server-side --force-conflicts` does.
 */
export async function applyObjects<T extends k8s.KubernetesObject>(
  kc: k8s.KubeConfig,
  objects: T[],
  fieldManager = FIELD_MANAGER,
): Promise<T[]> {
  const client = k8s.KubernetesObjectApi.makeApiClient(kc);
  const applied: T[] = [];
  for (const object of objects) {
    applied.push(
      await client.patch(object, undefined, undefined, fieldManager, true, k8s.PatchStrategy.ServerSideApply),
    );
  }
  return applied;
}
