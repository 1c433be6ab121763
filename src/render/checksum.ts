import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';

/**
 * Pod-template annotations holding the SHA-256 of each file the pods read
 * only at start-up: when a file's content changes, so does the template, and
 * the workload rolls its pods onto the new content. (Pure JavaScript: the
 * renderers also run inside workflow code, which has no node:crypto.)
 */
export function startupFileChecksums(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(files).map(([name, content]) => [`thanos-installer.tkestack.io/${name}-sha256`, bytesToHex(sha256(utf8ToBytes(content)))]),
  );
}
