import { readFileSync } from 'node:fs';

/** A payload encryption key and the id recorded with every payload it encrypts. */
export interface CodecKey {
  id: string;
  key: Buffer;
}

export const CODEC_KEY_ENV = 'THANOS_INSTALLER_CODEC_KEY';
export const CODEC_KEY_FILE_ENV = 'THANOS_INSTALLER_CODEC_KEY_FILE';
export const CODEC_KEY_ID_ENV = 'THANOS_INSTALLER_CODEC_KEY_ID';

/**
 * The key that encrypts every payload the installer sends to Temporal (inputs
 * with bucket credentials, results, progress). Base64 of 32 bytes, from
 * THANOS_INSTALLER_CODEC_KEY or the file THANOS_INSTALLER_CODEC_KEY_FILE names.
 * Without one, the installer refuses to start: credentials would otherwise be
 * stored in Temporal's history in plain text.
 */
export function loadCodecKey(env: NodeJS.ProcessEnv = process.env): CodecKey {
  let encoded = env[CODEC_KEY_ENV];
  let source = CODEC_KEY_ENV;
  if (!encoded && env[CODEC_KEY_FILE_ENV]) {
    source = `the file ${env[CODEC_KEY_FILE_ENV]} (${CODEC_KEY_FILE_ENV})`;
    try {
      encoded = readFileSync(env[CODEC_KEY_FILE_ENV] as string, 'utf8').trim();
    } catch (err) {
      throw new Error(`cannot read the payload encryption key from ${source}: ${(err as Error).message}`);
    }
  }
  if (!encoded) {
    throw new Error(
      `no payload encryption key: set ${CODEC_KEY_ENV} or ${CODEC_KEY_FILE_ENV} to 32 random bytes in base64 ` +
        '(for example `openssl rand -base64 32`)',
    );
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32) {
    throw new Error(`the payload encryption key from ${source} must be 32 bytes in base64, got ${key.length} bytes`);
  }
  return { id: env[CODEC_KEY_ID_ENV] || 'default', key };
}
