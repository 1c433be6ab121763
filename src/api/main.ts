#!/usr/bin/env node
/**
 * The API process. Configured from the environment:
 *   THANOS_INSTALLER_API_TOKEN or THANOS_INSTALLER_API_TOKEN_FILE (required)
 *   THANOS_INSTALLER_CODEC_KEY[_FILE], or THANOS_INSTALLER_CODEC_KEYS[_FILE] and _KEY_ID (required)
 *   TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default "default"),
 *   THANOS_INSTALLER_CLUSTERS: the clusters served, `name=taskQueue,...` (default global=thanos-installer),
 *   TEMPORAL_UI_URL (for links),
 *   THANOS_INSTALLER_TKE_NAMESPACE (default tke; tests and benchmarks use their own),
 *   HOST (default 127.0.0.1), PORT (default 8080), LOG_LEVEL (default info)
 */
import { Counter } from 'prom-client';
import { connectClient } from '../client/installs';
import { apiConfigFromEnv } from './config';
import { buildApi } from './server';

async function main(): Promise<void> {
  const config = apiConfigFromEnv();
  const temporalCalls = new Counter({
    name: 'thanos_installer_api_temporal_calls_total',
    help: 'gRPC calls the API made to Temporal, by method',
    labelNames: ['method'],
    registers: [],
  });
  const client = await connectClient({
    address: config.temporalAddress,
    namespace: config.temporalNamespace,
    codecKeys: config.codecKeys,
    onCall: (method) => temporalCalls.inc({ method }),
  });
  const app = await buildApi({
    client,
    metrics: [temporalCalls],
    token: config.token,
    webUiUrl: config.webUiUrl,
    clusters: config.clusters,
    namespace: config.tkeNamespace,
    logLevel: config.logLevel,
  });
  await app.listen({ host: config.host, port: config.port });
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
