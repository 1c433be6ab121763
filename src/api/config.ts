import { loadCodecKeys, type CodecKeys } from '../codec/key';
import { loadApiToken } from './auth';
import { clusterRegistryFromEnv, type ClusterRegistry } from './clusters';

/** The API process's configuration, from its environment (see main.ts). */
export interface ApiConfig {
  temporalAddress: string;
  temporalNamespace: string;
  clusters: ClusterRegistry;
  /** Where TKE runs: `tke` on every TKE cluster; tests and benchmarks use their own. */
  tkeNamespace: string;
  webUiUrl: string;
  host: string;
  port: number;
  logLevel: string;
  codecKeys: CodecKeys;
  token: string;
}

export function apiConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    clusters: clusterRegistryFromEnv(env),
    tkeNamespace: env.THANOS_INSTALLER_TKE_NAMESPACE || 'tke',
    webUiUrl: env.TEMPORAL_UI_URL || 'http://127.0.0.1:8233',
    host: env.HOST || '127.0.0.1',
    port: Number(env.PORT || 8080),
    logLevel: env.LOG_LEVEL || 'info',
    codecKeys: loadCodecKeys(env),
    token: loadApiToken(env),
  };
}
