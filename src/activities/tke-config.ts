import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { Context } from '@temporalio/activity';
import { isAlreadyExists, isNotFound, patchPodTemplateAnnotations } from '../kube/patch';
import { editConfigMapData, editSecretData } from '../kube/precondition';
import { waitForRollouts } from '../kube/wait';
import { applyTkeConfigEdit, type TkeConfigEdit, type TkeConfigTarget } from '../render/tke';
import { checkpoint } from './heartbeat';
import {
  newBackupData,
  recordWritten,
  RECORDS_WRITTEN_ANNOTATION,
  RECORDS_WRITTEN_FORMAT,
  restoreDecision,
  type TkeConfigBackup,
} from '../render/tke/backup';

/** Holds the original text of every ConfigMap key the install changes (they may hold passwords), and what it wrote. */
export const BACKUP_SECRET_NAME = 'thanos-installer-tke-config-backup';
/** Set on a consumer's pod template: a new value rolls its pods, the same value changes nothing. */
export const CONFIG_HASH_ANNOTATION = 'thanos-installer.tkestack.io/config-hash';

export interface ReconfigureResult {
  /** `ConfigMap/key` entries whose text changed in this run. */
  changed: string[];
}

export interface RestartResult {
  restarted: string[];
  unchanged: string[];
}

/** A key a restore did not put back, and why. */
export interface LeftKey {
  configMap: string;
  key: string;
  reason: string;
}

export interface RestoreResult extends RestartResult {
  /** `ConfigMap/key` entries that hold their original text again. Absent from results of earlier releases. */
  restored?: string[];
  /** Keys someone changed since the install: left as they are. Absent from results of earlier releases. */
  left?: LeftKey[];
}

function configHash(data: Record<string, string> | undefined): string {
  const entries = Object.entries(data ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
}

/** Makes the backup of the originals once; an existing backup is never overwritten. */
async function backUpOriginals(kc: k8s.KubeConfig, namespace: string, targets: TkeConfigTarget[]): Promise<void> {
  if ((await readBackup(kc, namespace)) !== undefined) return;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const originals: { target: TkeConfigTarget; text: string }[] = [];
  for (const target of targets) {
    const cm = await core.readNamespacedConfigMap({ name: target.configMap, namespace });
    originals.push({ target, text: cm.data?.[target.key] ?? '' });
  }
  try {
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: {
          name: BACKUP_SECRET_NAME,
          namespace,
          annotations: { [RECORDS_WRITTEN_ANNOTATION]: RECORDS_WRITTEN_FORMAT },
        },
        type: 'Opaque',
        stringData: newBackupData(originals),
      },
    });
  } catch (err) {
    // A backup from an earlier run holds the true originals: keep it.
    if (!isAlreadyExists(err)) throw err;
  }
}

async function readBackup(kc: k8s.KubeConfig, namespace: string): Promise<TkeConfigBackup | undefined> {
  try {
    const secret = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: BACKUP_SECRET_NAME, namespace });
    return {
      recordsWritten: secret.metadata?.annotations?.[RECORDS_WRITTEN_ANNOTATION] === RECORDS_WRITTEN_FORMAT,
      data: Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
      ),
    };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Records in the backup each text about to be written to a key of `configMap`, before it is written. */
async function recordInBackup(kc: k8s.KubeConfig, namespace: string, configMap: string, set: Record<string, string>): Promise<void> {
  await editSecretData(kc, namespace, BACKUP_SECRET_NAME, (data) => {
    const entries = Object.entries(set).map(([key, text]) => recordWritten(data, { configMap, key }, text));
    return { set: Object.assign({}, ...entries) as Record<string, string>, result: undefined };
  });
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
    checkpoint(result);
    await patchPodTemplateAnnotations(kc, namespace, deployment, { [CONFIG_HASH_ANNOTATION]: wanted });
    result.restarted.push(deployment);
  }
  await waitForRollouts(
    kc,
    consumers.map((c) => ({ kind: 'Deployment' as const, namespace, name: c.deployment })),
    timeoutSeconds * 1000,
    { onProgress: (statuses) => checkpoint(statuses.map((s) => s.message)), signal: Context.current().cancellationSignal },
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
     * text, changing only what must change. Each text is recorded in the
     * backup before it is written, so that a restore can tell it from a later
     * edit; a write that races with someone else's edit is computed again
     * from theirs. Idempotent: a second run finds the text already right and
     * writes nothing.
     */
    async reconfigureConsumers(namespace: string, edits: TkeConfigEdit[]): Promise<ReconfigureResult> {
      await backUpOriginals(kc, namespace, edits);
      const changed: string[] = [];
      for (const configMap of new Set(edits.map((e) => e.configMap))) {
        checkpoint({ changed });
        const written = await editConfigMapData(
          kc,
          namespace,
          configMap,
          (data) => {
            const set: Record<string, string> = {};
            for (const edit of edits.filter((e) => e.configMap === configMap)) {
              const current = data[edit.key] ?? '';
              const next = applyTkeConfigEdit(edit, current);
              if (next !== current) set[edit.key] = next;
            }
            return { set, result: Object.keys(set) };
          },
          (set) => recordInBackup(kc, namespace, configMap, set),
        );
        changed.push(...written.map((key) => `${configMap}/${key}`));
      }
      return { changed };
    },

    async restartConsumers(namespace: string, edits: TkeConfigEdit[], timeoutSeconds: number): Promise<RestartResult> {
      return rollConsumers(kc, namespace, consumersOf(edits), timeoutSeconds, false);
    },

    /**
     * Puts back, byte for byte, the original of every key that still holds
     * what the installer wrote; a key someone changed since is left as it is
     * and reported. Each write is computed from a fresh read and refused if
     * the ConfigMap changed in between, so a concurrent edit is seen, not
     * overwritten. Then returns the consumers' pod templates to what they
     * were (which restarts them). Without a backup nothing was changed.
     */
    async restoreConsumers(namespace: string, targets: TkeConfigTarget[], timeoutSeconds: number): Promise<RestoreResult> {
      const backup = await readBackup(kc, namespace);
      if (backup === undefined) {
        return { restarted: [], unchanged: consumersOf(targets).map((c) => c.deployment), restored: [], left: [] };
      }
      const restored: string[] = [];
      const left: LeftKey[] = [];
      for (const configMap of new Set(targets.map((t) => t.configMap))) {
        const decided = await editConfigMapData(kc, namespace, configMap, (data) => {
          const decisions = targets
            .filter((t) => t.configMap === configMap)
            .map((target) => ({ target, decision: restoreDecision(backup, target, data[target.key]) }));
          const set: Record<string, string> = {};
          for (const { target, decision } of decisions) if (decision.kind === 'restore') set[target.key] = decision.original;
          return { set, result: decisions };
        });
        for (const { target, decision } of decided) {
          if (decision.kind === 'left') left.push({ configMap, key: target.key, reason: decision.reason });
          else restored.push(`${configMap}/${target.key}`);
        }
      }
      const restart = await rollConsumers(kc, namespace, consumersOf(targets), timeoutSeconds, true);
      return { ...restart, restored, left };
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
