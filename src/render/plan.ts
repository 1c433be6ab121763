/**
 * What an install would change in a cluster as it is now: each object as the
 * cluster has it, set against what the API server would make of the
 * installer's object (a server-side dry-run, as `kubectl diff` does). Pure,
 * so that the API, the CLI and the tests read one verdict.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { isRecord } from '../request/field-error';
import { MASKED } from '../request/secrets';

export type PlannedAction = 'create' | 'change' | 'grow-volumes' | 'unchanged' | 'cannot-change-in-place' | 'remove' | 'no-longer-produced';

export interface FieldChange {
  path: string;
  /** JSON of the value now and after; absent where there is none, masked in Secrets. */
  before?: string;
  after?: string;
}

export interface ObjectPlan {
  /** `Kind/name`. */
  object: string;
  action: PlannedAction;
  changes: FieldChange[];
  /** Why the action is what it is, where the action alone does not say (the API server's refusal, ...). */
  reason?: string;
  /** The request's field a refusal is about, where one is. */
  field?: string;
}

export interface TkeKeyPlan {
  configMap: string;
  key: string;
  action: 'change' | 'unchanged';
  consumer: string;
}

export interface InstallPlan {
  objects: ObjectPlan[];
  tkeConfig: TkeKeyPlan[];
  /** Which pods would restart, and why: one line each. */
  restarts: string[];
  /** Whether the install would change anything at all. */
  changes: boolean;
  /** Whether some change cannot be made in place: the install would fail there. */
  refused: boolean;
}

/** The parts of an object the installer writes; the rest (status, resourceVersion, ...) is the server's. */
const COMPARED = ['labels', 'annotations', 'type', 'spec', 'data', 'stringData', 'binaryData'] as const;

function comparable(object: KubernetesObject): Record<string, unknown> {
  const whole = object as KubernetesObject & Record<string, unknown>;
  const value: Record<string, unknown> = {
    labels: object.metadata?.labels,
    annotations: object.metadata?.annotations,
  };
  for (const key of COMPARED.slice(2)) value[key] = whole[key];
  return value;
}

const SHOWN_VALUE_LENGTH = 200;

function shown(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const json = JSON.stringify(value);
  return json.length > SHOWN_VALUE_LENGTH ? `${json.slice(0, SHOWN_VALUE_LENGTH)}…` : json;
}

/** Every leaf that differs between two JSON values, by path (`spec.template.spec.containers[0].args[2]`). */
export function leafChanges(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    return Array.from({ length: Math.max(before.length, after.length) }, (_, i) => leafChanges(before[i], after[i], `${path}[${i}]`)).flat();
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => leafChanges(before[key], after[key], path ? `${path}.${key}` : key));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path, ...(before !== undefined && { before: shown(before) }), ...(after !== undefined && { after: shown(after) }) }];
}

/** The changes from the live object to the one the API server would store; a Secret's values never shown. */
export function objectChanges(live: KubernetesObject, wouldBe: KubernetesObject): FieldChange[] {
  const changes = leafChanges(comparable(live), comparable(wouldBe));
  if (live.kind !== 'Secret') return changes;
  return changes.map((c) => (/^(data|stringData|binaryData)\b/.test(c.path)
    ? { path: c.path, ...(c.before !== undefined && { before: MASKED }), ...(c.after !== undefined && { after: MASKED }) }
    : c));
}

export const objectName = (object: KubernetesObject): string => `${object.kind}/${object.metadata?.name}`;

const WORKLOADS = new Set(['Deployment', 'StatefulSet']);

/**
 * Which pods would restart: those of a workload whose pod template changes.
 * Files Thanos reads only at start-up (the objstore config, rule files) are
 * in the template as checksums, so a change to them shows here too.
 */
export function restartsOf(objects: ObjectPlan[]): string[] {
  return objects.flatMap((plan) => {
    const kind = plan.object.split('/')[0] ?? '';
    const template = (plan.action === 'change' || plan.action === 'grow-volumes') && WORKLOADS.has(kind) ? plan.changes.filter((c) => c.path.startsWith('spec.template.')) : [];
    return template.length > 0 ? [`${plan.object}: its pods restart (pod template changes at ${template.map((c) => c.path).join(', ')})`] : [];
  });
}

export function installPlan(objects: ObjectPlan[], tkeConfig: TkeKeyPlan[]): InstallPlan {
  const consumers = [...new Set(tkeConfig.filter((k) => k.action === 'change').map((k) => k.consumer))];
  const restarts = [
    ...restartsOf(objects),
    ...consumers.map((c) => `Deployment/${c}: restarted by the install to read its changed configuration`),
  ];
  return {
    objects,
    tkeConfig,
    restarts,
    changes: objects.some((o) => o.action !== 'unchanged' && o.action !== 'no-longer-produced') || consumers.length > 0,
    refused: objects.some((o) => o.action === 'cannot-change-in-place'),
  };
}

const SIGN: Record<PlannedAction, string> = {
  create: '+',
  change: '~',
  unchanged: '=',
  'grow-volumes': '^',
  'cannot-change-in-place': '!',
  remove: '-',
  'no-longer-produced': '?',
};

/** The plan as lines for people: one per object and TKE key, then the restarts. */
export function planLines(plan: InstallPlan): string[] {
  const lines = plan.objects.flatMap((o) => [
    `${SIGN[o.action]} ${o.action} ${o.object}${o.field ? `: ${o.field}` : ''}${o.reason ? `: ${o.reason}` : ''}`,
    ...o.changes.map((c) => `    ${c.path}: ${c.before ?? '(none)'} -> ${c.after ?? '(none)'}`),
  ]);
  lines.push(...plan.tkeConfig.map((k) => `${k.action === 'change' ? '~' : '='} ${k.action} ConfigMap/${k.configMap} key ${k.key} (read by ${k.consumer})`));
  lines.push(...plan.restarts.map((r) => `restart: ${r}`));
  lines.push(plan.refused ? 'refused: a change cannot be made in place' : plan.changes ? 'changes' : 'no changes');
  return lines;
}

/** What a plan would do, in one line for the progress log: each object and key that differs, and how. */
export function planSummary(plan: InstallPlan): string {
  const parts = plan.objects.flatMap((o): string[] => {
    switch (o.action) {
      case 'create':
        return [`create ${o.object}`];
      case 'change':
      case 'grow-volumes':
        return [`${o.action === 'change' ? 'change' : 'grow the volumes of'} ${o.object} (${o.changes.map((c) => c.path).join(', ')})`];
      case 'remove':
        return [`remove ${o.object}`];
      default:
        return [];
    }
  });
  parts.push(...plan.tkeConfig.filter((k) => k.action === 'change').map((k) => `edit ConfigMap/${k.configMap} key ${k.key}`));
  return parts.length > 0 ? parts.join('; ') : 'the cluster is as these settings want it';
}

/** Each change that cannot be made in place: the field (or object) it is about, why, and the ways out. */
export function planRefusals(plan: InstallPlan): { path: string; message: string }[] {
  return plan.objects
    .filter((o) => o.action === 'cannot-change-in-place')
    .map((o) => ({ path: o.field ?? o.object, message: `${o.object}: ${o.reason}` }));
}
