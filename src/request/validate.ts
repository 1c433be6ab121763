import { buildThanosSettings, type ThanosSettings } from './defaults';
import { isRecord, uniqueErrors, type FieldError, type PathSegment } from './field-error';
import { globalNodeIp, type GlobalNodeIp } from './global-node-ip';
import { normalizeKeys } from './normalize';
import { isObjstoreType } from './objstore';
import { monitorRules, thanosRules } from './rules';
import { InstallRequestSchema, ThanosMonitorSchema, type InstallRequest, type ThanosMonitorConfig } from './schema';
import { schemaChecker } from './schema-errors';

export type { FieldError } from './field-error';

export type InstallRequestValidation =
  | { ok: true; request: InstallRequest; settings: ThanosSettings }
  | { ok: false; errors: FieldError[] };

export type ThanosConfigValidation =
  | { ok: true; thanos: ThanosMonitorConfig; settings: ThanosSettings }
  | { ok: false; errors: FieldError[] };

const THANOS_PATH = ['config', 'monitor', 'thanos'] as const;

const checkRequestSchema = schemaChecker(InstallRequestSchema);
const checkThanosSchema = schemaChecker(ThanosMonitorSchema);

/** Thanos matches the objstore `type` case-insensitively; the schema knows it in upper case. */
function upperCaseBucketType(thanos: unknown): void {
  if (!isRecord(thanos) || !isRecord(thanos.bucketConfig)) return;
  const type = thanos.bucketConfig.type;
  if (typeof type === 'string' && isObjstoreType(type.toUpperCase())) thanos.bucketConfig.type = type.toUpperCase();
}

function monitorOf(request: unknown): unknown {
  return isRecord(request) && isRecord(request.config) ? request.config.monitor : undefined;
}

/**
 * Validates a tke-installer request (`{cluster, config}`) for a Thanos
 * install. Keys are matched case-insensitively; every problem is reported at
 * once, each with its JSON path. On success, also returns the Thanos
 * settings with every default filled in.
 */
export function validateInstallRequest(raw: unknown): InstallRequestValidation {
  const { value, errors: keyErrors } = normalizeKeys(InstallRequestSchema, raw);
  const monitor = monitorOf(value);
  if (isRecord(monitor)) upperCaseBucketType(monitor.thanos);

  const errors = uniqueErrors([
    ...keyErrors,
    ...checkRequestSchema(value, []),
    ...monitorRules(monitor, ['config', 'monitor']),
    ...(isRecord(monitor) ? thanosRules(monitor.thanos, THANOS_PATH) : []),
  ]);
  if (errors.length > 0) return { ok: false, errors };

  const request = value as InstallRequest;
  // monitorRules guarantees the thanos backend is present.
  const thanos = request.config.monitor.thanos!;
  return { ok: true, request, settings: buildThanosSettings(thanos, globalNodeIp(request)) };
}

/**
 * Validates a replacement for `config.monitor.thanos` of an already accepted
 * request (a retry with corrected settings), keeping that request's
 * GLOBAL_NODE_IP. Paths are still reported from the request root, e.g.
 * `config.monitor.thanos.bucketConfig.config.bucket`.
 */
export function validateThanosConfig(raw: unknown, nodeIp: GlobalNodeIp): ThanosConfigValidation {
  const base: readonly PathSegment[] = THANOS_PATH;
  const { value, errors: keyErrors } = normalizeKeys(ThanosMonitorSchema, raw, base);
  upperCaseBucketType(value);

  const errors = uniqueErrors([...keyErrors, ...checkThanosSchema(value, base), ...thanosRules(value, base)]);
  if (errors.length > 0) return { ok: false, errors };

  const thanos = value as ThanosMonitorConfig;
  return { ok: true, thanos, settings: buildThanosSettings(thanos, nodeIp) };
}
