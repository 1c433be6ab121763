import type { Payload } from '@temporalio/common';
import { isRecord } from '../request/field-error';
import { InstallRequestSchema } from '../request/schema';
import { MASKED } from '../request/secrets';

interface SchemaNode {
  writeOnly?: boolean;
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
}

/** The name of every property a schema marks `writeOnly`, at any depth. */
function writeOnlyNames(schema: SchemaNode, into = new Set<string>()): Set<string> {
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    if (child.writeOnly === true) into.add(name);
    writeOnlyNames(child, into);
  }
  const children = [
    ...Object.values(schema.patternProperties ?? {}),
    ...(isRecord(schema.additionalProperties) ? [schema.additionalProperties] : []),
    ...(schema.items ? [schema.items] : []),
    ...(schema.oneOf ?? []), ...(schema.anyOf ?? []), ...(schema.allOf ?? []),
  ];
  for (const child of children) writeOnlyNames(child, into);
  return into;
}

/**
 * What the codec endpoint never shows: every field the request schema treats
 * as a secret (secret keys, passwords, tokens, private keys, service account
 * JSON; following the schema, a secret field added there is masked here too),
 * and the identifying half of each key pair, which on its own tells an
 * onlooker whose key the bucket uses.
 */
const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set([
  ...writeOnlyNames(InstallRequestSchema as SchemaNode),
  'access_key', 'access_key_id', 'secret_id',
]);

/** A copy of a JSON value with every credential field, at any depth, replaced by the mask. */
function maskCredentialFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskCredentialFields);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      CREDENTIAL_FIELDS.has(key) && child !== null && child !== undefined ? MASKED : maskCredentialFields(child),
    ]),
  );
}

/** The paths of credential fields that hold the mask: a masked payload sent back to be encoded. */
function maskedCredentialPaths(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((child, i) => maskedCredentialPaths(child, `${path}[${i}]`));
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const at = path ? `${path}.${key}` : key;
    return CREDENTIAL_FIELDS.has(key) && child === MASKED ? [at] : maskedCredentialPaths(child, at);
  });
}

const encodingOf = (payload: Payload): string => Buffer.from(payload.metadata?.encoding ?? []).toString('utf8');
const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/**
 * Decoded payloads as an operator may see them: JSON with credential fields
 * masked; `binary/null` (undefined) as it is; any other encoding, which the
 * installer does not send and which cannot be searched for credentials,
 * withheld with a note saying so.
 */
export function maskPayloads(payloads: Payload[]): Payload[] {
  return payloads.map((payload) => {
    const encoding = encodingOf(payload);
    if (encoding === 'binary/null') return payload;
    if (encoding === 'json/plain') {
      const value = JSON.parse(Buffer.from(payload.data ?? []).toString('utf8')) as unknown;
      return { metadata: payload.metadata, data: utf8(JSON.stringify(maskCredentialFields(value))) };
    }
    return {
      metadata: { encoding: utf8('json/plain') },
      data: utf8(JSON.stringify(`(a payload of encoding '${encoding}', not shown: the codec endpoint shows JSON payloads only, with credentials masked)`)),
    };
  });
}

/** For each JSON payload, the credential fields that hold the mask (empty when none does). */
export function maskedCredentialsIn(payloads: Payload[]): string[] {
  return payloads.flatMap((payload, i) => {
    if (encodingOf(payload) !== 'json/plain') return [];
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(payload.data ?? []).toString('utf8'));
    } catch {
      return [];
    }
    return maskedCredentialPaths(value).map((at) => `payloads[${i}]: ${at}`);
  });
}
