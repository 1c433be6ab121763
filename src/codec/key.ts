import { readFileSync } from 'node:fs';

/** A payload encryption key and the id recorded with every payload it encrypts. */
export interface CodecKey {
  id: string;
  key: Buffer;
}

/**
 * The keys of one process: new payloads are encrypted with `current`, and a
 * payload is decrypted with the key whose id it records, so that after a
 * rotation payloads written under an older key still decrypt.
 */
export interface CodecKeys {
  current: CodecKey;
  /** Every configured key (the current one among them), by id. */
  byId: ReadonlyMap<string, Buffer>;
}

export const CODEC_KEY_ENV = 'THANOS_INSTALLER_CODEC_KEY';
export const CODEC_KEY_FILE_ENV = 'THANOS_INSTALLER_CODEC_KEY_FILE';
export const CODEC_KEYS_ENV = 'THANOS_INSTALLER_CODEC_KEYS';
export const CODEC_KEYS_FILE_ENV = 'THANOS_INSTALLER_CODEC_KEYS_FILE';
export const CODEC_KEY_ID_ENV = 'THANOS_INSTALLER_CODEC_KEY_ID';

/** The id of a key configured alone, without THANOS_INSTALLER_CODEC_KEY_ID. */
export const DEFAULT_KEY_ID = 'default';
const KEY_ID = /^[A-Za-z0-9._-]+$/;
const HOW_TO_MAKE_ONE = '32 random bytes in base64 (for example `openssl rand -base64 32`)';

/** One key as the only key: what a process without rotation has. */
export function singleKey(key: CodecKey): CodecKeys {
  return { current: key, byId: new Map([[key.id, key.key]]) };
}

/** NAME's value, or the content of the file NAME_FILE names, with where it came from; undefined if neither is set. */
function valueOrFile(env: NodeJS.ProcessEnv, name: string, fileName: string): { text: string; source: string } | undefined {
  if (env[name]) return { text: env[name] as string, source: name };
  const file = env[fileName];
  if (!file) return undefined;
  const source = `the file ${file} (${fileName})`;
  try {
    return { text: readFileSync(file, 'utf8').trim(), source };
  } catch (err) {
    throw new Error(`cannot read the payload encryption key${name === CODEC_KEYS_ENV ? 's' : ''} from ${source}: ${(err as Error).message}`);
  }
}

function decodeKey(encoded: string, what: string): Buffer {
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32) throw new Error(`${what} must be 32 bytes in base64, got ${key.length} bytes`);
  return key;
}

/** `id=base64` entries separated by commas or whitespace. */
function parseKeyList(text: string, source: string): Map<string, Buffer> {
  const byId = new Map<string, Buffer>();
  for (const [index, entry] of text.split(/[\s,]+/).filter(Boolean).entries()) {
    const at = entry.indexOf('=');
    // Entries are named by position or id only: the rest is key material.
    if (at < 0) throw new Error(`${source}: entry ${index + 1} is not id=key`);
    const id = entry.slice(0, at);
    if (!KEY_ID.test(id)) throw new Error(`${source}: the id of entry ${index + 1} must be letters, digits, '.', '_' or '-'`);
    byId.set(id, decodeKey(entry.slice(at + 1), `${source}: the key of entry ${index + 1}`));
    if (byId.size !== index + 1) throw new Error(`${source}: entry ${index + 1} repeats the id '${id}'`);
  }
  if (byId.size === 0) throw new Error(`${source} holds no key: give id=key entries, each key ${HOW_TO_MAKE_ONE}`);
  return byId;
}

/**
 * The keys that encrypt every payload the installer sends to Temporal
 * (inputs with bucket credentials, results, progress, failure messages).
 * Either one key, base64 of 32 bytes, in THANOS_INSTALLER_CODEC_KEY or the
 * file THANOS_INSTALLER_CODEC_KEY_FILE names, whose id is
 * THANOS_INSTALLER_CODEC_KEY_ID (default "default"); or, to rotate, several
 * `id=key` entries in THANOS_INSTALLER_CODEC_KEYS or the file
 * THANOS_INSTALLER_CODEC_KEYS_FILE names, with THANOS_INSTALLER_CODEC_KEY_ID
 * naming the one that encrypts. Without a key the installer refuses to
 * start: credentials would otherwise be stored in Temporal in plain text.
 */
export function loadCodecKeys(env: NodeJS.ProcessEnv = process.env): CodecKeys {
  const single = valueOrFile(env, CODEC_KEY_ENV, CODEC_KEY_FILE_ENV);
  const list = valueOrFile(env, CODEC_KEYS_ENV, CODEC_KEYS_FILE_ENV);
  const currentId = env[CODEC_KEY_ID_ENV];
  if (single && list) {
    throw new Error(`set either ${CODEC_KEY_ENV}[_FILE] (one key) or ${CODEC_KEYS_ENV}[_FILE] (id=key entries), not both`);
  }
  if (single) {
    if (!single.text) throw new Error(`${single.source} is empty: it must hold ${HOW_TO_MAKE_ONE}`);
    const id = currentId || DEFAULT_KEY_ID;
    if (!KEY_ID.test(id)) throw new Error(`${CODEC_KEY_ID_ENV} must be letters, digits, '.', '_' or '-', got '${id}'`);
    return singleKey({ id, key: decodeKey(single.text, `the payload encryption key from ${single.source}`) });
  }
  if (list) {
    const byId = parseKeyList(list.text, list.source);
    const id = currentId || (byId.size === 1 ? [...byId.keys()][0] : undefined);
    if (id === undefined) {
      throw new Error(`${list.source} holds ${byId.size} keys: set ${CODEC_KEY_ID_ENV} to the id of the one that encrypts new payloads (one of ${[...byId.keys()].join(', ')})`);
    }
    const key = byId.get(id);
    if (!key) throw new Error(`${CODEC_KEY_ID_ENV} is '${id}', but ${list.source} has no key of that id (it has ${[...byId.keys()].join(', ')})`);
    return { current: { id, key }, byId };
  }
  throw new Error(`no payload encryption key: set ${CODEC_KEY_ENV} or ${CODEC_KEY_FILE_ENV} to ${HOW_TO_MAKE_ONE}, or ${CODEC_KEYS_ENV}[_FILE] to id=key entries when rotating`);
}
