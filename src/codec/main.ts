#!/usr/bin/env node
/**
 * A standalone codec endpoint for the Temporal Web UI (POST /codec/decode and
 * /codec/encode). Configured from the environment:
 *   THANOS_INSTALLER_CODEC_KEY or THANOS_INSTALLER_CODEC_KEY_FILE (required)
 *   CODEC_UI_ORIGINS  comma-separated Web UI origins allowed by CORS (required)
 *   HOST (default 127.0.0.1), PORT (default 8081)
 * It decrypts payloads for whoever can reach it: expose it only where the Web
 * UI's users may read the installs' inputs.
 */
import { AesGcmPayloadCodec } from './codec';
import { buildCodecServer } from './endpoint';
import { loadCodecKey } from './key';

export function codecServerConfigFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const uiOrigins = (env.CODEC_UI_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  if (uiOrigins.length === 0) throw new Error('set CODEC_UI_ORIGINS to the Web UI origin(s), e.g. http://localhost:8080');
  return { key: loadCodecKey(env), uiOrigins, host: env.HOST || '127.0.0.1', port: Number(env.PORT || 8081) };
}

async function main(): Promise<void> {
  const config = codecServerConfigFromEnv();
  const app = await buildCodecServer({ codec: new AesGcmPayloadCodec(config.key), uiOrigins: config.uiOrigins });
  await app.listen({ host: config.host, port: config.port });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
