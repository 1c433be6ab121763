/**
 * Release 1 started installs with the request's `config.monitor.thanos` and
 * let the workflow fill in the defaults. Installs and histories of that
 * release still replay through here; nothing started now takes this path.
 * The numbers below are release 1's defaults, frozen: changing them would
 * change those installs halfway.
 */
import { buildThanosSettings, type ThanosSettings } from '../request/defaults';
import type { GlobalNodeIp } from '../request/global-node-ip';
import { validateThanosConfig } from '../request/validate';
import type { InstallInput, InstallInputV1 } from './contracts';

const V1_READINESS_TIMEOUT_SECONDS = 600;
export const V1_ROLLOUT_TIMEOUT_SECONDS = 300;

function isV1(input: InstallInput | InstallInputV1): input is InstallInputV1 {
  return !('settings' in input);
}

/** The input as this release reads it, whichever release started the install. */
export function currentInput(input: InstallInput | InstallInputV1): InstallInput {
  if (!isV1(input)) return input;
  const settings = buildThanosSettings(input.thanos, input.globalNodeIp);
  return {
    clusterName: input.clusterName,
    settings: input.namespace === undefined ? settings : { ...settings, namespace: input.namespace },
    readinessTimeoutSeconds: input.readinessTimeoutSeconds ?? V1_READINESS_TIMEOUT_SECONDS,
    rolloutTimeoutSeconds: input.rolloutTimeoutSeconds ?? V1_ROLLOUT_TIMEOUT_SECONDS,
  };
}

/** A release 1 retry's corrected `thanos`, as that release's workflow turned it into settings. */
export function settingsOfV1Retry(thanos: unknown, globalNodeIp: GlobalNodeIp, namespace: string): ThanosSettings | undefined {
  const corrected = validateThanosConfig(thanos, globalNodeIp);
  return corrected.ok ? { ...corrected.settings, namespace } : undefined;
}
