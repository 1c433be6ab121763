import * as k8s from '@kubernetes/client-node';
import { FIELD_MANAGER } from './apply';

/** JSON merge patch: changes only what it names, and is a no-op when nothing differs. */
export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** Sets (or, with null, removes) annotations of a Deployment's pod template: a change rolls the pods. */
export async function patchPodTemplateAnnotations(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  annotations: Record<string, string | null>,
): Promise<k8s.V1Deployment> {
  return kc.makeApiClient(k8s.AppsV1Api).patchNamespacedDeployment(
    { name, namespace, body: { spec: { template: { metadata: { annotations } } } }, fieldManager: FIELD_MANAGER },
    mergePatch,
  );
}

/** True for the API's 404, which deletes and optional reads treat as "already gone". */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

/** True for the API's 409 AlreadyExists on create. */
export function isAlreadyExists(err: unknown): boolean {
  return (err as { code?: number }).code === 409;
}
