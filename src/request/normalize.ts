import { fieldError, isRecord, type FieldError, type PathSegment } from './field-error';

/** The parts of a JSON Schema the normalizer follows. */
interface SchemaShape {
  properties?: Record<string, SchemaShape>;
  items?: SchemaShape;
  oneOf?: SchemaShape[];
}

/**
 * Renames the keys of a request to the schema's spelling, matching them
 * case-insensitively as tke-installer's Go JSON decoder does (`Config` and
 * `config` both reach `config`). Keys the schema does not know are kept as
 * they are, for the schema to accept (open objects) or reject (closed ones).
 *
 * A discriminated union (`bucketConfig`) has its own keys folded, but not the
 * keys inside its `config`: tke-installer holds that as `interface{}` and
 * Thanos's YAML decoder matches field names exactly, so `Access_Key` there is
 * an unknown field, not `access_key`.
 *
 * A key whose value is null is dropped: Go's decoder leaves the field as it
 * was, so for tke-installer `"es": null` is no `es` at all.
 *
 * Two keys that fold to the same name are reported rather than merged.
 */
export function normalizeKeys(
  schema: object,
  value: unknown,
  path: readonly PathSegment[] = [],
): { value: unknown; errors: FieldError[] } {
  const errors: FieldError[] = [];

  const walk = (shape: SchemaShape | undefined, node: unknown, at: readonly PathSegment[]): unknown => {
    if (shape === undefined) return node;
    if (Array.isArray(node)) return node.map((item, index) => walk(shape.items, item, [...at, index]));
    if (!isRecord(node)) return node;
    const properties = shape.properties ?? shape.oneOf?.[0]?.properties;
    if (properties === undefined) return node;
    const descend = shape.oneOf === undefined;

    const canonicalByLowerCase = new Map(Object.keys(properties).map((name) => [name.toLowerCase(), name]));
    const spelledAs = new Map<string, string>();
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) {
      if (child === null) continue;
      const canonical = Object.hasOwn(properties, key) ? key : (canonicalByLowerCase.get(key.toLowerCase()) ?? key);
      const earlier = spelledAs.get(canonical);
      if (earlier !== undefined) {
        errors.push(
          fieldError([...at, canonical], `is given twice, as '${earlier}' and '${key}' (keys are matched case-insensitively)`),
        );
        continue;
      }
      spelledAs.set(canonical, key);
      const childShape = Object.hasOwn(properties, canonical) ? properties[canonical] : undefined;
      result[canonical] = descend ? walk(childShape, child, [...at, canonical]) : child;
    }
    return result;
  };

  return { value: walk(schema as SchemaShape, value, path), errors };
}
