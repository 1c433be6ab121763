#!/usr/bin/env node
/**
 * A standalone codec endpoint for the Temporal Web UI (POST /codec/decode and
 * /codec/encode). Configured from the environment:
 *   THANOS_INSTALLER_CODEC_KEY[_FILE] or THANOS_INSTALLER_CODEC_KEYS[_FILE],
 *     THANOS_INSTALLER_CODEC_KEY_ID (the keys, as the worker has them; required)
 *   CODEC_UI_ORIGINS  comma-separated Web UI origins allowed by CORS (required)
 *   THANOS_INSTALLER_CODEC_TOKEN[_FILE]  a static bearer token, for scripts
 *   THANOS_INSTALLER_CODEC_JWKS_URL  the identity provider's key set: the
 *     access tokens of the Web UI's signed-in users are verified against it,
 *     with THANOS_INSTALLER_CODEC_JWT_ISSUER and _AUDIENCE if set
 *     (a token or a key set is required)
 *   THANOS_INSTALLER_CODEC_TLS_CERT_FILE and _KEY_FILE  serve HTTPS (the Web
 *     UI passes access tokens to an https endpoint only)
 *   HOST (default 127.0.0.1), PORT (default 8081)
 */
import { readFileSync } from 'node:fs';
import { loadBearerToken } from '../api/auth';
import { RemoteKeySetVerifier } from './access-token';
import { AesGcmPayloadCodec } from './codec';
import { buildCodecServer } from './endpoint';
import { loadCodecKeys } from './key';

const CODEC_TOKEN_ENV = 'THANOS_INSTALLER_CODEC_TOKEN';
const CODEC_JWKS_URL_ENV = 'THANOS_INSTALLER_CODEC_JWKS_URL';
const TLS_CERT_ENV = 'THANOS_INSTALLER_CODEC_TLS_CERT_FILE';
const TLS_KEY_ENV = 'THANOS_INSTALLER_CODEC_TLS_KEY_FILE';

export function codecServerConfigFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const uiOrigins = (env.CODEC_UI_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  if (uiOrigins.length === 0) throw new Error('set CODEC_UI_ORIGINS to the Web UI origin(s), e.g. http://localhost:8080');
  const hasToken = Boolean(env[CODEC_TOKEN_ENV] || env[`${CODEC_TOKEN_ENV}_FILE`]);
  const jwksUrl = env[CODEC_JWKS_URL_ENV] || undefined;
  if (!hasToken && !jwksUrl) {
    throw new Error(
      `the codec endpoint decrypts the installs' payloads, so it must refuse requests without credentials: set ${CODEC_TOKEN_ENV}[_FILE] ` +
        `(a static token for scripts) and/or ${CODEC_JWKS_URL_ENV} (to accept the Web UI's access tokens)`,
    );
  }
  if (jwksUrl && !URL.canParse(jwksUrl)) throw new Error(`${CODEC_JWKS_URL_ENV} must be a URL, got '${jwksUrl}'`);
  if (Boolean(env[TLS_CERT_ENV]) !== Boolean(env[TLS_KEY_ENV])) throw new Error(`set both ${TLS_CERT_ENV} and ${TLS_KEY_ENV}, or neither`);
  return {
    keys: loadCodecKeys(env),
    uiOrigins,
    token: hasToken ? loadBearerToken(CODEC_TOKEN_ENV, env) : undefined,
    jwks: jwksUrl
      ? { url: jwksUrl, issuer: env.THANOS_INSTALLER_CODEC_JWT_ISSUER || undefined, audience: env.THANOS_INSTALLER_CODEC_JWT_AUDIENCE || undefined }
      : undefined,
    tls: env[TLS_CERT_ENV] ? { certFile: env[TLS_CERT_ENV] as string, keyFile: env[TLS_KEY_ENV] as string } : undefined,
    host: env.HOST || '127.0.0.1',
    port: Number(env.PORT || 8081),
  };
}

async function main(): Promise<void> {
  const config = codecServerConfigFromEnv();
  const app = await buildCodecServer({
    codec: new AesGcmPayloadCodec(config.keys),
    access: {
      token: config.token,
      accessTokens: config.jwks && new RemoteKeySetVerifier(config.jwks.url, config.jwks),
    },
    uiOrigins: config.uiOrigins,
    tls: config.tls && { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
  });
  await app.listen({ host: config.host, port: config.port });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
