import { Type, type TOptional, type TProperties } from '@sinclair/typebox';

/** Marks every property optional, for the long lists of optional settings. */
export function optional<T extends TProperties>(properties: T) {
  return Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, Type.Optional(schema)])) as {
    [K in keyof T]: TOptional<T[K]>;
  };
}

/** A closed set of values as a plain JSON Schema `enum`, which gives one clear error instead of one per `anyOf` branch. */
export function Enum<const T extends string | number>(values: readonly T[]) {
  return Type.Unsafe<T>({ type: typeof values[0] === 'number' ? 'integer' : 'string', enum: [...values] });
}
