import { ApiException } from '@kubernetes/client-node';

/** What the API server said when it refused a request (its Status object). */
export interface KubeRefusal {
  code: number;
  reason?: string;
  /** The server's own sentence, e.g. `services "x" is forbidden: exceeded quota: ...`. */
  message?: string;
  /** The object it names: resource or kind, and name, when the server says. */
  kind?: string;
  name?: string;
}

/**
 * Answers that a later attempt may get past without anyone changing
 * anything: a missing object may yet appear (404), a timeout (408), a
 * conflict with a concurrent writer (409), throttling (429) and the
 * server's own failures (5xx). Any other 4xx (forbidden, invalid, ...)
 * comes back the same until the operator changes something.
 */
export function isTransient(code: number): boolean {
  return code < 400 || code >= 500 || [404, 408, 409, 429].includes(code);
}

interface StatusBody {
  reason?: string;
  message?: string;
  details?: { kind?: string; name?: string };
}

function parseStatus(body: unknown): StatusBody {
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  if (typeof body !== 'string') return {};
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as StatusBody) : {};
  } catch {
    return {};
  }
}

/** The API server's refusal carried by a client error, or undefined for anything else (network errors, bugs). */
export function kubeRefusalOf(err: unknown): KubeRefusal | undefined {
  if (err instanceof KubeObjectError) return err.refusal;
  if (!(err instanceof ApiException)) return undefined;
  const status = parseStatus(err.body);
  return {
    code: err.code,
    reason: status.reason,
    message: status.message,
    kind: status.details?.kind,
    name: status.details?.name,
  };
}

/** `403 Forbidden: <the server's message>`: the answer, in the server's words. */
export function describeRefusal(refusal: KubeRefusal): string {
  const answer = [refusal.code, refusal.reason].filter((part) => part !== undefined).join(' ');
  return refusal.message ? `${answer}: ${refusal.message}` : answer;
}

/** A request about a known object that the API server refused; `code` as the client's own errors carry it. */
export class KubeObjectError extends Error {
  readonly code: number;

  constructor(
    /** `Kind namespace/name` */
    readonly object: string,
    readonly refusal: KubeRefusal,
  ) {
    super(`${object}: the API server answered ${describeRefusal(refusal)}`);
    this.name = 'KubeObjectError';
    this.code = refusal.code;
  }
}

/** Rethrows a refusal of a request about `object` as a KubeObjectError naming it; anything else as it was. */
export function naming(object: string): (err: unknown) => never {
  return (err: unknown) => {
    const refusal = err instanceof KubeObjectError ? undefined : kubeRefusalOf(err);
    throw refusal === undefined ? err : new KubeObjectError(object, refusal);
  };
}
