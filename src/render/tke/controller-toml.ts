import type { JsonMap } from '@iarna/toml';
import parse from '@iarna/toml/parse-string';
import type { ThanosSettings } from '../../request/defaults';
import { isRecord } from '../../request/field-error';

/**
 * Points tke-monitor-controller and tke-platform-controller at Thanos through
 * their `[features]` table. The controller that deploys Prometheus into
 * business clusters appends `/api/v1/receive` to `monitor_storage_addresses`
 * and uses it as the remote-write URL, so it must be receive's NodePort as
 * business clusters reach it, not the in-cluster Query address.
 */

/** `http://<GLOBAL_NODE_IP>:<remote-write NodePort>`, the remote-write base URL for business clusters. */
export function receiveRemoteWriteAddress(settings: Pick<ThanosSettings, 'globalNodeIp' | 'nodePorts'>): string {
  return `http://${settings.globalNodeIp.address}:${settings.nodePorts.receiveRemoteWrite}`;
}

export function thanosFeatures(remoteWriteAddress: string) {
  return { monitor_storage_type: 'thanos', monitor_storage_addresses: remoteWriteAddress };
}

/** The remote-write address a controller's `[features]` give, if they choose Thanos. */
export function thanosRemoteWriteAddressIn(text: string): string | undefined {
  let document: JsonMap;
  try {
    document = parse(text);
  } catch {
    return undefined;
  }
  const features = isRecord(document.features) ? document.features : {};
  const address = features.monitor_storage_addresses;
  return features.monitor_storage_type === 'thanos' && typeof address === 'string' ? address : undefined;
}

/**
 * Sets the two `[features]` keys in the controller's TOML text and leaves
 * every other byte alone: comments, formatting, and value types a
 * parse-and-print would lose (a float `1.0` would come back as `1`). The
 * `[features]` table is created at the end if the file has none. The result
 * is parsed and compared with the intended document, so an unusual layout
 * (say, features as an inline table) fails loudly instead of corrupting it.
 */
export function setThanosFeatures(original: string, remoteWriteAddress: string): string {
  let before: JsonMap;
  try {
    before = parse(original);
  } catch (error) {
    throw new Error(`controller TOML is not valid: ${(error as Error).message}`);
  }
  const features = thanosFeatures(remoteWriteAddress);
  const edited = editFeaturesTable(original, features);

  const expected: Record<string, unknown> = {
    ...before,
    features: { ...(isRecord(before.features) ? before.features : {}), ...features },
  };
  if (!parsesTo(edited, expected)) {
    throw new Error('cannot set [features] in this TOML layout without changing other keys; edit it by hand');
  }
  return edited;
}

function parsesTo(text: string, expected: Record<string, unknown>): boolean {
  try {
    return sameTomlValue(parse(text), expected);
  } catch {
    return false;
  }
}

/** For each line, whether it starts outside a multi-line string (only such lines can be headers or keys). */
function linesOutsideMultilineStrings(lines: readonly string[]): boolean[] {
  const outside: boolean[] = [];
  let inside: '"""' | "'''" | undefined;
  for (const line of lines) {
    outside.push(inside === undefined);
    let i = 0;
    while (i < line.length) {
      if (inside !== undefined) {
        if (inside === '"""' && line[i] === '\\') i += 2;
        else if (line.startsWith(inside, i)) [inside, i] = [undefined, i + 3];
        else i += 1;
        continue;
      }
      const rest = line.slice(i);
      if (rest.startsWith('"""') || rest.startsWith("'''")) [inside, i] = [rest.slice(0, 3) as '"""' | "'''", i + 3];
      else if (rest.startsWith('#')) break;
      else if (rest[0] === '"') i += 1 + (/^(?:[^"\\]|\\.)*"/.exec(rest.slice(1))?.[0].length ?? rest.length);
      else if (rest[0] === "'") i += 1 + (/^[^']*'/.exec(rest.slice(1))?.[0].length ?? rest.length);
      else i += 1;
    }
  }
  return outside;
}

const FEATURES_HEADER = /^\s*\[\s*(?:features|"features"|'features')\s*\]\s*(?:#.*)?$/;
const TABLE_HEADER = /^\s*\[/;
const keyLine = (key: string) => new RegExp(`^(\\s*)(?:${key}|"${key}"|'${key}')\\s*=`);

function editFeaturesTable(text: string, values: Record<string, string>): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  // Lines and the line break after each one, kept as they were (the last line has none).
  const parts = text.split(/(\r?\n)/);
  const lines = parts.filter((_, index) => index % 2 === 0);
  const breaks = parts.filter((_, index) => index % 2 === 1);
  const outside = linesOutsideMultilineStrings(lines);
  const assignment = (indent: string, key: string) => `${indent}${key} = ${JSON.stringify(values[key])}`;

  const header = lines.findIndex((line, index) => outside[index] && FEATURES_HEADER.test(line));
  if (header === -1) {
    const body = text.replace(/(\r?\n)*$/, '');
    const table = ['[features]', ...Object.keys(values).map((key) => assignment('', key))].join(eol);
    return `${body}${body === '' ? '' : eol + eol}${table}${eol}`;
  }

  const next = lines.findIndex((line, index) => index > header && outside[index] && TABLE_HEADER.test(line));
  const end = next === -1 ? lines.length : next;
  const bodyLines = Array.from({ length: end - header - 1 }, (_, offset) => header + 1 + offset).filter(
    (index) => outside[index],
  );
  const indent = bodyLines.map((index) => /^(\s*)\S/.exec(lines[index]!)?.[1]).find((found) => found !== undefined) ?? '';
  const missing: string[] = [];
  for (const key of Object.keys(values)) {
    const index = bodyLines.find((candidate) => keyLine(key).test(lines[candidate]!));
    if (index === undefined) missing.push(assignment(indent, key));
    else lines[index] = assignment(keyLine(key).exec(lines[index]!)![1]!, key);
  }

  if (missing.length > 0) {
    // New keys go after the table's last non-blank line, each on its own line.
    const after = [...bodyLines].reverse().find((index) => lines[index]!.trim() !== '') ?? header;
    lines.splice(after + 1, 0, ...missing);
    const isLastLine = after === breaks.length;
    breaks.splice(isLastLine ? after : after + 1, 0, ...missing.map(() => eol));
  }
  return lines.map((line, index) => line + (breaks[index] ?? '')).join('');
}

/** Structural equality of parsed TOML values (tables compared by keys, not key order or prototype). */
function sameTomlValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.toISOString() === b.toISOString();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameTomlValue(item, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && sameTomlValue(a[key], b[key]));
  }
  return Object.is(a, b);
}
