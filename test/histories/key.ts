import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { singleKey, type CodecKeys } from '../../src/codec/key';
import { projectRoot } from '../../src/testground/paths';

/** Where recorded workflow histories live. */
export const HISTORIES = join(projectRoot, 'test', 'histories');

/** The test-only key the recorded histories' payloads are encrypted with (they hold only the test ground's throw-away credentials). */
export function recordingKeys(): CodecKeys {
  return singleKey({ id: 'histories', key: Buffer.from(readFileSync(join(HISTORIES, 'codec-key'), 'utf8').trim(), 'base64') });
}
