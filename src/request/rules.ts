import {
  DEFAULT_NODE_PORTS,
  DEFAULT_REPLICAS,
  DEFAULT_RESOURCES,
  THANOS_COMPONENTS,
} from './defaults';
import { fieldError, formatPath, isRecord, type FieldError, type PathSegment } from './field-error';
import { parseQuantity, prometheusDurationMs } from './formats';
import { bucketConfigRules } from './objstore';

/**
 * Rules across fields that the schema cannot express. They run whether or not
 * the schema pass succeeded, so every problem is reported at once; each rule
 * looks only at fields of the expected type and leaves type errors to the schema.
 */

const MONITOR_BACKENDS = ['thanos', 'es', 'influxDB'] as const;

const asRecord = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 1;

export function monitorRules(monitor: unknown, path: readonly PathSegment[]): FieldError[] {
  if (!isRecord(monitor)) return [];
  const errors: FieldError[] = [];
  const chosen = MONITOR_BACKENDS.filter((backend) => monitor[backend] !== undefined);
  if (!chosen.includes('thanos')) {
    errors.push(fieldError([...path, 'thanos'], 'is required: this installer sets up Thanos as the monitor backend'));
  }
  if (chosen.length > 1) {
    errors.push(
      fieldError(path, `must choose exactly one backend, got ${chosen.join(' and ')}: tke-monitor would use only one of them`),
    );
  }
  if (monitor.retentionDays !== undefined && chosen.includes('thanos')) {
    errors.push(
      fieldError(
        [...path, 'retentionDays'],
        `is not used by Thanos; set ${formatPath([...path, 'thanos', 'retention'])} instead`,
      ),
    );
  }
  return errors;
}

export function thanosRules(thanos: unknown, path: readonly PathSegment[]): FieldError[] {
  if (!isRecord(thanos)) return [];
  return [
    ...bucketConfigRules(thanos.bucketConfig, [...path, 'bucketConfig']),
    ...imageRules(thanos, path),
    ...replicationRules(thanos, path),
    ...nodePortRules(thanos, path),
    ...resourceRules(thanos, path),
    ...retentionRules(thanos, path),
  ];
}

/**
 * Compact refuses to start (with downsampling on, as rendered) unless raw
 * blocks live long enough to be downsampled to 5m (40 hours) and 5m blocks long
 * enough to be downsampled to 1h (10 days). 0 keeps them forever.
 */
const RETENTION_MINIMUMS = [
  { field: 'raw', minimumMs: 40 * 3600_000, why: '40h: raw blocks must live until Compact has downsampled them to 5m resolution' },
  { field: 'fiveMinutes', minimumMs: 10 * 24 * 3600_000, why: '10d: 5m blocks must live until Compact has downsampled them to 1h resolution' },
] as const;

function retentionRules(thanos: Record<string, unknown>, path: readonly PathSegment[]): FieldError[] {
  const given = asRecord(thanos.retention);
  return RETENTION_MINIMUMS.flatMap(({ field, minimumMs, why }) => {
    const value = given[field];
    const ms = typeof value === 'string' ? prometheusDurationMs(value) : undefined;
    return ms !== undefined && ms !== 0 && ms < minimumMs
      ? [fieldError([...path, 'retention', field], `(${value as string}) must be 0 (keep forever) or at least ${why}; Thanos Compact refuses to start otherwise`)]
      : [];
  });
}

function imageRules(thanos: Record<string, unknown>, path: readonly PathSegment[]): FieldError[] {
  return thanos.image !== undefined && thanos.imageRegistry !== undefined
    ? [fieldError([...path, 'imageRegistry'], 'must not be set together with image, which is used exactly as given')]
    : [];
}

function replicationRules(thanos: Record<string, unknown>, path: readonly PathSegment[]): FieldError[] {
  const factor = thanos.receiveReplicationFactor;
  const givenReplicas = asRecord(thanos.replicas).receive;
  const replicas = isCount(givenReplicas) ? givenReplicas : DEFAULT_REPLICAS.receive;
  if (!isCount(factor) || factor <= replicas) return [];
  const which = isCount(givenReplicas) ? 'replicas.receive' : 'replicas.receive, by default';
  return [
    fieldError(
      [...path, 'receiveReplicationFactor'],
      `must not exceed the number of receive replicas (${replicas}, ${which}): each sample is written to ${factor} different replicas`,
    ),
  ];
}

function nodePortRules(thanos: Record<string, unknown>, path: readonly PathSegment[]): FieldError[] {
  const given = asRecord(thanos.nodePorts);
  const used: (keyof typeof DEFAULT_NODE_PORTS)[] =
    thanos.exposeReceiveGrpcHttpNodePorts === false
      ? ['receiveRemoteWrite']
      : ['receiveGrpc', 'receiveHttp', 'receiveRemoteWrite'];
  const port = (name: keyof typeof DEFAULT_NODE_PORTS) =>
    Number.isInteger(given[name]) ? (given[name] as number) : DEFAULT_NODE_PORTS[name];
  const errors: FieldError[] = [];
  used.forEach((name, index) => {
    const clash = used.slice(0, index).find((earlier) => port(earlier) === port(name));
    if (clash !== undefined) {
      const at = given[name] !== undefined ? name : clash;
      const other = at === name ? clash : name;
      errors.push(fieldError([...path, 'nodePorts', at], `must differ from nodePorts.${other} (both ${port(name)})`));
    }
  });
  return errors;
}

/**
 * Defaults fill in whatever a user leaves out, so raising only a request can
 * push it above the default limit, which the API server would reject.
 */
function resourceRules(thanos: Record<string, unknown>, path: readonly PathSegment[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const component of THANOS_COMPONENTS) {
    const given = asRecord(asRecord(thanos.resources)[component]);
    const givenRequests = asRecord(given.requests);
    const givenLimits = asRecord(given.limits);
    const defaults = DEFAULT_RESOURCES[component];
    for (const resource of ['cpu', 'memory'] as const) {
      const request = givenRequests[resource] ?? defaults.requests[resource];
      const limit = givenLimits[resource] ?? defaults.limits[resource];
      if (typeof request !== 'string' || typeof limit !== 'string') continue;
      const [requested, limited] = [parseQuantity(request), parseQuantity(limit)];
      if (requested === undefined || limited === undefined || requested <= limited) continue;
      if (givenRequests[resource] !== undefined) {
        const limitSource = givenLimits[resource] !== undefined ? ')' : `, the default); raise limits.${resource} too`;
        errors.push(
          fieldError(
            [...path, 'resources', component, 'requests', resource],
            `(${request}) must not exceed the ${resource} limit (${limit}${limitSource}`,
          ),
        );
      } else {
        errors.push(
          fieldError(
            [...path, 'resources', component, 'limits', resource],
            `(${limit}) must not be below the ${resource} request (${request}, the default); lower requests.${resource} too`,
          ),
        );
      }
    }
  }
  return errors;
}
