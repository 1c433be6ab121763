import { isRecord } from './field-error';

export const MASKED = '******';

interface SchemaShape {
  writeOnly?: boolean;
  properties?: Record<string, SchemaShape>;
  items?: SchemaShape;
  oneOf?: SchemaShape[];
  discriminator?: { propertyName: string };
  const?: unknown;
}

function chosenVariant(shape: SchemaShape, node: Record<string, unknown>): SchemaShape | undefined {
  const tag = shape.discriminator?.propertyName;
  if (tag === undefined) return undefined;
  return shape.oneOf?.find((variant) => variant.properties?.[tag]?.const === node[tag]);
}

/**
 * A copy of `value` with every field its schema marks `writeOnly` (passwords,
 * secret keys, tokens, private keys, service account JSON) replaced by
 * `******`. Masking follows the schema, so a secret field added to the schema
 * is masked everywhere without touching this function.
 */
export function maskSecrets<T>(schema: object, value: T): T {
  const walk = (shape: SchemaShape | undefined, node: unknown): unknown => {
    if (shape === undefined) return node;
    if (shape.writeOnly === true && node !== undefined && node !== null) return MASKED;
    if (Array.isArray(node)) return node.map((item) => walk(shape.items, item));
    if (!isRecord(node)) return node;
    const properties = (shape.oneOf ? chosenVariant(shape, node) : shape)?.properties;
    if (properties === undefined) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, child]) => [key, walk(Object.hasOwn(properties, key) ? properties[key] : undefined, child)]),
    );
  };
  return walk(schema as SchemaShape, value) as T;
}
