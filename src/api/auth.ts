import { timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const API_TOKEN_ENV = 'THANOS_INSTALLER_API_TOKEN';

/** A bearer token of at least 16 characters, from the variable `name` or the file `${name}_FILE` names. */
export function loadBearerToken(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const file = env[`${name}_FILE`];
  const token = env[name] || (file ? readFileSync(file, 'utf8').trim() : '');
  if (token.length < 16) {
    throw new Error(`set ${name} or ${name}_FILE to a token of at least 16 characters`);
  }
  return token;
}

/** The bearer token every request but health checks must carry. */
export function loadApiToken(env: NodeJS.ProcessEnv = process.env): string {
  return loadBearerToken(API_TOKEN_ENV, env);
}

/** Compares an Authorization header with the token in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match?.[1]) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]), digest(token));
}
