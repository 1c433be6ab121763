/**
 * The backup of the TKE keys an install changes, as decoded Secret data, and
 * what restoring does with each key. Pure: the activities read and write the
 * Secret.
 *
 * `<ConfigMap>.<key>` holds the key's original text, as every release wrote
 * it. `written-sha256_<ConfigMap>.<key>` holds the SHA-256 of each text the
 * installer wrote to the key, one per line. Restoring puts the original back
 * only over a text the installer wrote: anything else is someone's later
 * edit, which stays.
 */
import { createHash } from 'node:crypto';
import { thanosRemoteWriteAddressIn } from './controller-toml';
import { applyTkeConfigEdit, tkeConfigEdits, type TkeConfigEdit, type TkeConfigTarget } from './index';
import { thanosAddressIn } from './monitor-config';

/** Marks a backup that records what the installer wrote; backups of earlier releases lack it. */
export const RECORDS_WRITTEN_ANNOTATION = 'thanos-installer.tkestack.io/records-written';
export const RECORDS_WRITTEN_FORMAT = 'sha256';

/** A key of a ConfigMap. */
export type ConfigMapKey = Pick<TkeConfigTarget, 'configMap' | 'key'>;

export const originalKey = (target: ConfigMapKey): string => `${target.configMap}.${target.key}`;
// ConfigMap names cannot hold '_', so this never names an original.
export const writtenKey = (target: ConfigMapKey): string => `written-sha256_${target.configMap}.${target.key}`;

export const textDigest = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export interface TkeConfigBackup {
  /** False for a backup made by a release that recorded nothing of what it wrote. */
  recordsWritten: boolean;
  data: Record<string, string>;
}

/** Where a ConfigMap key stands for a restore. */
export type RestoreDecision =
  | { kind: 'restore'; original: string }
  | { kind: 'original' }
  | { kind: 'left'; reason: string };

/** The entries of a new backup: each key's original text. */
export function newBackupData(originals: { target: ConfigMapKey; text: string }[]): Record<string, string> {
  return Object.fromEntries(originals.map(({ target, text }) => [originalKey(target), text]));
}

/** The backup entries to set so that they record `text` as written to `target`; none if it is recorded already. */
export function recordWritten(data: Record<string, string>, target: ConfigMapKey, text: string): Record<string, string> {
  const recorded = writtenDigests(data, target);
  const digest = textDigest(text);
  return recorded.includes(digest) ? {} : { [writtenKey(target)]: [...recorded, digest].join('\n') };
}

function writtenDigests(data: Record<string, string>, target: ConfigMapKey): string[] {
  return (data[writtenKey(target)] ?? '').split('\n').filter((line) => line !== '');
}

/**
 * Whether restoring puts the key's original back (`current` is a text the
 * installer wrote), finds it there already, or leaves someone's later edit.
 * A backup of an earlier release records nothing, so there the key counts
 * as the installer's when it is exactly what that release wrote over the
 * original for the Thanos address the key holds (the renderer is unchanged
 * since).
 */
export function restoreDecision(backup: TkeConfigBackup, target: ConfigMapKey, current: string | undefined): RestoreDecision {
  const original = backup.data[originalKey(target)];
  if (original === undefined) return { kind: 'left', reason: 'the backup holds no original of it' };
  if (current === original) return { kind: 'original' };
  if (current === undefined) return { kind: 'left', reason: 'it was removed after the install changed it' };
  const recorded = writtenDigests(backup.data, target);
  if (recorded.includes(textDigest(current))) return { kind: 'restore', original };
  if (!backup.recordsWritten && current === earlierReleaseText(target, original, current)) return { kind: 'restore', original };
  return {
    kind: 'left',
    reason: backup.recordsWritten && recorded.length === 0
      ? 'it was changed after the install backed it up, and the installer never wrote it'
      : 'it was changed after the installer wrote it',
  };
}

/** What an earlier release wrote over `original`, with the Thanos address `current` holds; undefined if it holds none. */
function earlierReleaseText(target: ConfigMapKey, original: string, current: string): string | undefined {
  const template = tkeConfigEdits('', '').find((e) => e.configMap === target.configMap && e.key === target.key);
  let edit: TkeConfigEdit | undefined;
  if (template?.kind === 'monitor-storage') {
    const queryAddress = thanosAddressIn(current);
    edit = queryAddress === undefined ? undefined : { ...template, queryAddress };
  } else if (template?.kind === 'controller-features') {
    const remoteWriteAddress = thanosRemoteWriteAddressIn(current);
    edit = remoteWriteAddress === undefined ? undefined : { ...template, remoteWriteAddress };
  }
  if (edit === undefined) return undefined;
  try {
    return applyTkeConfigEdit(edit, original);
  } catch {
    // An original the edit cannot handle was never rewritten by it.
    return undefined;
  }
}
