/** One problem with a request, addressed by its dotted JSON path from the request root. */
export interface FieldError {
  /** e.g. `config.monitor.thanos.bucketConfig.config.endpoint` or `cluster.spec.machines[0].ip`. */
  path: string;
  message: string;
}

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path === '' ? '(root)' : path;
}

export function fieldError(segments: readonly PathSegment[], message: string): FieldError {
  return { path: formatPath(segments), message };
}

/** Drops exact repeats (the schema and a cross-field rule may both notice the same thing), keeping order. */
export function uniqueErrors(errors: readonly FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${error.path}\u0000${error.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A value as shown in an error message: quoted strings, plain numbers, JSON type names otherwise. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : 'an object';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
