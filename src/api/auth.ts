import { timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const API_TOKEN_ENV = 'THANOS_INSTALLER_API_TOKEN';
export const API_TOKEN_FILE_ENV = 'THANOS_INSTALLER_API_TOKEN_FILE';

/** The bearer token every request but health checks must carry. */
export function loadApiToken(env: NodeJS.ProcessEnv = process.env): string {
  const file = env[API_TOKEN_FILE_ENV];
  const token = env[API_TOKEN_ENV] || (file ? readFileSync(file, 'utf8').trim() : '');
  if (token.length < 16) {
    throw new Error(`set ${API_TOKEN_ENV} or ${API_TOKEN_FILE_ENV} to a token of at least 16 characters`);
  }
  return token;
}

/** Compares an Authorization header with the token in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match?.[1]) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]), digest(token));
}
