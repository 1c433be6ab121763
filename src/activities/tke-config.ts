import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { heartbeat } from '@temporalio/activity';
import { isAlreadyExists, isNotFound, patchConfigMapData, patchPodTemplateAnnotations } from '../kube/patch';
import { waitForRollouts } from '../kube/wait';
import { applyTkeConfigEdit, type TkeConfigEdit, type TkeConfigTarget } from '../render/tke';

/** Holds the original text of every ConfigMap key the install changes (they may hold passwords). */
export const BACKUP_SECRET_NAME = 'thanos-installer-tke-config-backup';
/** Set on a consumer's pod template: a new value rolls its pods, the same value changes nothing. */
export const CONFIG_HASH_ANNOTATION = 'thanos-installer.tkestack.io/config-hash';

const backupKey = (configMap: string, key: string): string => `${configMap}.${key}`;

export interface ReconfigureResult {
  /** `ConfigMap/key` entries whose text changed in this run. */
  changed: string[];
}

export interface RestartResult {
  restarted: string[];
  unchanged: string[];
}

function configHash(data: Record<string, string> | undefined): string {
  const entries = Object.entries(data ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
}

/** Makes the backup of the originals once; an existing backup is never overwritten. */
async function backUpOriginals(kc: k8s.KubeConfig, namespace: string, edits: TkeConfigTarget[]): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const data: Record<string, string> = {};
  for (const edit of edits) {
    const cm = await core.readNamespacedConfigMap({ name: edit.configMap, namespace });
    data[backupKey(edit.configMap, edit.key)] = Buffer.from(cm.data?.[edit.key] ?? '', 'utf8').toString('base64');
  }
  try {
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: BACKUP_SECRET_NAME, namespace },
        type: 'Opaque',
        data,
      },
    });
  } catch (err) {
    // A backup from an earlier run holds the true originals: keep it.
    if (!isAlreadyExists(err)) throw err;
  }
}

async function readBackup(kc: k8s.KubeConfig, namespace: string): Promise<Record<string, string> | undefined> {
  try {
    const secret = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: BACKUP_SECRET_NAME, namespace });
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Rolls each consumer whose ConfigMap content differs from what its pods were
 * started with, and waits for the new pods. A consumer whose configuration did
 * not change is left alone: no restart on a re-run.
 */
async function rollConsumers(
  kc: k8s.KubeConfig,
  namespace: string,
  consumers: { deployment: string; configMap: string }[],
  timeoutSeconds: number,
  restore: boolean,
): Promise<RestartResult> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const result: RestartResult = { restarted: [], unchanged: [] };
  for (const { deployment, configMap } of consumers) {
    const live = await apps.readNamespacedDeployment({ name: deployment, namespace });
    const current = live.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
    // Restoring removes the annotation, which returns the pod template to the
    // one the consumer had before the install.
    const wanted = restore ? null : configHash((await core.readNamespacedConfigMap({ name: configMap, namespace })).data);
    if ((current ?? null) === wanted) {
      result.unchanged.push(deployment);
      continue;
    }
    await patchPodTemplateAnnotations(kc, namespace, deployment, { [CONFIG_HASH_ANNOTATION]: wanted });
    result.restarted.push(deployment);
  }
  await waitForRollouts(
    kc,
    consumers.map((c) => ({ kind: 'Deployment' as const, namespace, name: c.deployment })),
    timeoutSeconds * 1000,
    () => heartbeat(),
  );
  return result;
}

function consumersOf(edits: TkeConfigTarget[]): { deployment: string; configMap: string }[] {
  const seen = new Map<string, string>();
  for (const edit of edits) seen.set(edit.consumer, edit.configMap);
  return [...seen].map(([deployment, configMap]) => ({ deployment, configMap }));
}

export function tkeConfigActivities(kc: k8s.KubeConfig) {
  return {
    /**
     * Backs up the originals, then rewrites each edited key from its live
     * text, changing only what must change. Idempotent: a second run finds
     * the text already right and writes nothing.
     */
    async reconfigureConsumers(namespace: string, edits: TkeConfigEdit[]): Promise<ReconfigureResult> {
      await backUpOriginals(kc, namespace, edits);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const changed: string[] = [];
      for (const configMap of new Set(edits.map((e) => e.configMap))) {
        const cm = await core.readNamespacedConfigMap({ name: configMap, namespace });
        const updates: Record<string, string> = {};
        for (const edit of edits.filter((e) => e.configMap === configMap)) {
          const current = cm.data?.[edit.key] ?? '';
          const next = applyTkeConfigEdit(edit, current);
          if (next !== current) updates[edit.key] = next;
        }
        if (Object.keys(updates).length > 0) {
          await patchConfigMapData(kc, namespace, configMap, updates);
          changed.push(...Object.keys(updates).map((key) => `${configMap}/${key}`));
        }
      }
      return { changed };
    },

    async restartConsumers(namespace: string, edits: TkeConfigEdit[], timeoutSeconds: number): Promise<RestartResult> {
      return rollConsumers(kc, namespace, consumersOf(edits), timeoutSeconds, false);
    },

    /**
     * Puts back the original text of every key the install changed, byte for
     * byte, from the backup, and returns the consumers' pod templates to what
     * they were (which restarts them). Without a backup nothing was changed.
     */
    async restoreConsumers(namespace: string, edits: TkeConfigTarget[], timeoutSeconds: number): Promise<RestartResult> {
      const backup = await readBackup(kc, namespace);
      if (backup === undefined) return { restarted: [], unchanged: consumersOf(edits).map((c) => c.deployment) };
      for (const configMap of new Set(edits.map((e) => e.configMap))) {
        const originals: Record<string, string> = {};
        for (const edit of edits.filter((e) => e.configMap === configMap)) {
          const original = backup[backupKey(edit.configMap, edit.key)];
          if (original !== undefined) originals[edit.key] = original;
        }
        await patchConfigMapData(kc, namespace, configMap, originals);
      }
      return rollConsumers(kc, namespace, consumersOf(edits), timeoutSeconds, true);
    },

    /** Deletes the backup once the originals are back and nothing of the install remains. */
    async forgetBackup(namespace: string): Promise<void> {
      try {
        await kc.makeApiClient(k8s.CoreV1Api).deleteNamespacedSecret({ name: BACKUP_SECRET_NAME, namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}
