#!/usr/bin/env node
/**
 * The API process. Configured from the environment:
 *   THANOS_INSTALLER_API_TOKEN or THANOS_INSTALLER_API_TOKEN_FILE (required)
 *   THANOS_INSTALLER_CODEC_KEY or THANOS_INSTALLER_CODEC_KEY_FILE (required)
 *   TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default "default"),
 *   TEMPORAL_TASK_QUEUE (default "thanos-installer"), TEMPORAL_UI_URL (for links),
 *   HOST (default 127.0.0.1), PORT (default 8080), LOG_LEVEL (default info)
 */
import { connectClient } from '../client/installs';
import { loadCodecKey } from '../codec/key';
import { loadApiToken } from './auth';
import { buildApi } from './server';

async function main(): Promise<void> {
  const env = process.env;
  const client = await connectClient({
    address: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    codecKey: loadCodecKey(env),
  });
  const app = await buildApi({
    client,
    token: loadApiToken(env),
    webUiUrl: env.TEMPORAL_UI_URL || 'http://127.0.0.1:8233',
    taskQueue: env.TEMPORAL_TASK_QUEUE || undefined,
    logLevel: env.LOG_LEVEL || 'info',
  });
  await app.listen({ host: env.HOST || '127.0.0.1', port: Number(env.PORT || 8080) });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void app.close().then(() => client.connection.close());
    });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
