import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { describeValue, fieldError, isRecord, type FieldError, type PathSegment } from './field-error';
import { STRING_FORMATS } from './formats';
import { unknownObjstoreFieldConsequence } from './objstore';

/** The schema keywords an error message may draw on (Ajv's `verbose` mode hands over the failing schema). */
interface FailingSchema {
  writeOnly?: boolean;
  description?: string;
  properties?: Record<string, unknown>;
  oneOf?: { properties?: Record<string, { const?: unknown }> }[];
}

const ajv = new Ajv({ allErrors: true, strict: true, verbose: true, discriminator: true });
for (const [name, format] of Object.entries(STRING_FORMATS)) {
  ajv.addFormat(name, { type: 'string', validate: format.validate });
}

/**
 * Compiles a schema into a checker that returns every problem as a
 * FieldError, `path` prefixed with `base` (where the checked value sits in
 * the request). Compiled on first use: workflows load this module but
 * validate only when an operator sends corrected settings.
 */
export function schemaChecker(schema: object): (value: unknown, base: readonly PathSegment[]) => FieldError[] {
  let validate: ValidateFunction | undefined;
  return (value, base) => {
    validate ??= ajv.compile(schema);
    if (validate(value)) return [];
    return (validate.errors ?? []).flatMap((error) => describeError(error, value, base));
  };
}

/** Splits a JSON pointer into path segments, with array indices as numbers. */
function pointerSegments(pointer: string, root: unknown): PathSegment[] {
  const segments: PathSegment[] = [];
  let node = root;
  for (const escaped of pointer.split('/').slice(1)) {
    const key = escaped.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      segments.push(Number(key));
      node = node[Number(key)];
    } else {
      segments.push(key);
      node = isRecord(node) ? node[key] : undefined;
    }
  }
  return segments;
}

function valueAt(root: unknown, segments: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of segments) {
    node = isRecord(node) || Array.isArray(node) ? (node as Record<PathSegment, unknown>)[segment] : undefined;
  }
  return node;
}

const withArticle = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Number.isInteger(value)) return 'an integer';
  return withArticle(typeof value === 'object' ? 'object' : typeof value);
}

function describeError(error: ErrorObject, root: unknown, base: readonly PathSegment[]): FieldError[] {
  const relative = pointerSegments(error.instancePath, root);
  const at = [...base, ...relative];
  const schema = (error.parentSchema ?? {}) as FailingSchema;
  // A secret's value never appears in a message, only its type.
  const got = schema.writeOnly === true ? `got ${jsonType(error.data)}` : `got ${describeValue(error.data)}`;
  const params = error.params as Record<string, unknown>;

  switch (error.keyword) {
    case 'required':
      return [fieldError([...at, params.missingProperty as string], 'is required')];
    case 'additionalProperties':
      return [unknownField(at, relative, params.additionalProperty as string, schema, root)];
    case 'type':
      return [fieldError(at, `must be ${withArticle(params.type as string)}, ${got}`)];
    case 'format': {
      const format = STRING_FORMATS[params.format as keyof typeof STRING_FORMATS];
      const expected = format?.expected ?? `in format ${params.format as string}`;
      return [fieldError(at, schema.writeOnly ? `must be ${expected}` : `must be ${expected}, ${got}`)];
    }
    case 'minLength':
      return [fieldError(at, params.limit === 1 ? 'must not be empty' : `must be at least ${params.limit as number} characters long`)];
    case 'minimum':
      return [fieldError(at, `must be at least ${params.limit as number}, ${got}`)];
    case 'maximum':
      return [fieldError(at, `must be at most ${params.limit as number}, ${got}`)];
    case 'minItems':
      return [fieldError(at, `must have at least ${params.limit as number} item${params.limit === 1 ? '' : 's'}`)];
    case 'const': {
      const why = schema.description ? ` (${schema.description})` : '';
      return [fieldError(at, `must be ${describeValue(params.allowedValue)}${why}, ${got}`)];
    }
    case 'enum':
      return [fieldError(at, `must be one of ${(params.allowedValues as unknown[]).map(describeValue).join(', ')}, ${got}`)];
    case 'discriminator':
      return [discriminatorError(at, params, schema)];
    default:
      return [fieldError(at, error.message ?? 'is invalid')];
  }
}

function discriminatorError(at: PathSegment[], params: Record<string, unknown>, schema: FailingSchema): FieldError {
  const tag = params.tag as string;
  const allowed = (schema.oneOf ?? []).map((variant) => variant.properties?.[tag]?.const).join(', ');
  if (params.tagValue === undefined) return fieldError([...at, tag], `is required: one of ${allowed}`);
  return fieldError([...at, tag], `must be one of ${allowed} (in any case), got ${describeValue(params.tagValue)}`);
}

function unknownField(
  at: PathSegment[],
  relative: PathSegment[],
  key: string,
  schema: FailingSchema,
  root: unknown,
): FieldError {
  const suggestion = closestName(key, Object.keys(schema.properties ?? {}));
  let message = 'is not a known field';
  if (suggestion !== undefined) message += `; did you mean '${suggestion}'?`;
  const [parent, last] = relative.slice(-2);
  if (parent === 'bucketConfig' && last === 'config') {
    const type = (valueAt(root, relative.slice(0, -1)) as Record<string, unknown>).type;
    message += ` (${unknownObjstoreFieldConsequence(type)})`;
  }
  return fieldError([...at, key], message);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known name a mistyped key most likely meant, if one is close (case differences count as typos too). */
function closestName(key: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
