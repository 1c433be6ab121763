/**
 * String formats used by the request schema. Each one is registered with Ajv
 * (see schema-errors.ts) and carries the plain-English message shown when a
 * value does not match, so a schema only says `format: 'host-port'` and every
 * error about it reads the same. The checks are plain string code, without
 * Node's net module, so validation also runs inside a Temporal workflow.
 */
export interface StringFormat {
  validate(value: string): boolean;
  /** Completes "must be …"; the offending value is appended by the caller. */
  expected: string;
}

const HOSTNAME_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);

const isIPv4 = (value: string) => IPV4.test(value);

function isHostname(host: string): boolean {
  return host.length <= 253 && host.split('.').every((label) => HOSTNAME_LABEL.test(label));
}

function isPort(port: string): boolean {
  return /^[0-9]{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`, and nothing else (no scheme, path, query or user info). */
export function isHostPort(value: string): boolean {
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::([0-9]+))?$/.exec(value);
  if (bracketed) return bracketed[2] === undefined || isPort(bracketed[2]);
  const [host, port, ...rest] = value.split(':');
  if (rest.length > 0 || host === undefined || host === '') return false;
  if (port !== undefined && !isPort(port)) return false;
  return isIPv4(host) || isHostname(host);
}

/** `http(s)://host[:port]` with an optional path, query or fragment. */
function isHttpUrl(value: string): boolean {
  const match = /^https?:\/\/([^/?#\s]+)(?:[/?#]\S*)?$/i.exec(value);
  return match !== null && isHostPort(match[1]!);
}

// Go's encoding/json decodes []byte fields with padded standard base64.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// github.com/prometheus/common/model.ParseDuration, used by Thanos flags and objstore timeouts.
const PROMETHEUS_DURATION = /^(?:0|(?:[0-9]+y)?(?:[0-9]+w)?(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?)$/;

const PROMETHEUS_DURATION_UNITS: Record<string, number> = {
  y: 365 * 24 * 3600_000, w: 7 * 24 * 3600_000, d: 24 * 3600_000, h: 3600_000, m: 60_000, s: 1000, ms: 1,
};

/** A Prometheus duration ('30d', '1y2w', '90m') in milliseconds, or undefined if it is not one. */
export function prometheusDurationMs(value: string): number | undefined {
  if (!PROMETHEUS_DURATION.test(value) || value === '') return undefined;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/([0-9]+)(ms|y|w|d|h|m|s)/g)) total += Number(amount) * (PROMETHEUS_DURATION_UNITS[unit as string] as number);
  return total;
}

// The longest duration Go can hold: 2^63-1 nanoseconds, about 292 years.
const MAX_DURATION_MS = Number(2n ** 63n / 1_000_000n);

// Go's time.ParseDuration.
const GO_DURATION = /^(?:0|[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;

const QUANTITY = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?$/;
const QUANTITY_MULTIPLIERS: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a Kubernetes resource quantity ('500m' → 0.5, '1Gi' → 1073741824), or undefined if it is not one. */
export function parseQuantity(value: string): number | undefined {
  const match = QUANTITY.exec(value);
  if (!match) return undefined;
  const [, number = '', suffix = ''] = match;
  const multiplier = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : QUANTITY_MULTIPLIERS[suffix];
  return multiplier === undefined ? undefined : Number(number) * multiplier;
}

// <registry host[:port]>/<path>, with a tag, a digest or both; TKE pulls by explicit reference.
const IMAGE_REFERENCE =
  /^[A-Za-z0-9.-]+(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const IMAGE_REGISTRY = /^[A-Za-z0-9.-]+(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

function isPinnedImage(value: string): boolean {
  if (!IMAGE_REFERENCE.test(value)) return false;
  const lastSegment = value.slice(value.lastIndexOf('/') + 1);
  return lastSegment.includes(':') || value.includes('@sha256:');
}

const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

export const STRING_FORMATS = {
  ipv4: { validate: (v) => isIPv4(v), expected: 'an IPv4 address' },
  base64: { validate: (v) => BASE64.test(v), expected: 'base64-encoded (standard alphabet, padded)' },
  'host-port': { validate: isHostPort, expected: 'host[:port] without scheme or path' },
  'http-url': { validate: isHttpUrl, expected: 'an http:// or https:// URL' },
  // Names the clouds' own SDKs check (minio-go, Azure, the COS, OSS and OCI SDKs), so a wrong one fails here, not in a pod.
  's3-bucket': {
    validate: (v) => /^[A-Za-z0-9][A-Za-z0-9._:-]{1,61}[A-Za-z0-9]$/.test(v) && !IPV4.test(v),
    expected: 'an S3 bucket name: 3 to 63 letters, digits, ".", "-", "_" or ":", starting and ending with a letter or digit, not an IP address',
  },
  'azure-storage-account': { validate: (v) => /^[a-z0-9]{3,24}$/.test(v), expected: 'an Azure storage account name: 3 to 24 lower-case letters and digits' },
  'azure-tenant-id': { validate: (v) => /^[A-Za-z0-9.-]+$/.test(v), expected: 'an Azure tenant ID (letters, digits, "." and "-")' },
  'cos-region': { validate: (v) => /^[a-z-1]+$/.test(v), expected: "a COS region such as 'ap-guangzhou'" },
  'oss-bucket': {
    validate: (v) => /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(v),
    expected: 'an OSS bucket name: 3 to 63 lower-case letters, digits and "-", starting and ending with a letter or digit',
  },
  'oci-region': { validate: (v) => /^[a-z0-9-]+$/.test(v), expected: "an OCI region such as 'us-ashburn-1'" },
  'host-or-url': { validate: (v) => isHostPort(v) || isHttpUrl(v), expected: 'host[:port] or an http:// or https:// URL' },
  'alertmanager-url': {
    // Thanos Rule resolves the host by DNS (dns+), SRV records (dnssrv+) or as written.
    validate: (v) => isHttpUrl(v.replace(/^(dns|dnssrv|dnssrvnoa)\+/, '')),
    expected: "an Alertmanager URL such as 'http://alertmanager.monitoring.svc:9093', optionally with a dns+ or dnssrv+ prefix",
  },
  'prometheus-duration': {
    validate: (v) => (prometheusDurationMs(v) ?? Infinity) <= MAX_DURATION_MS,
    expected: "a duration such as '30d', '2h' or '1m30s' (units y, w, d, h, m, s, ms), at most 292y",
  },
  'go-duration': {
    validate: (v) => GO_DURATION.test(v),
    expected: "a Go duration such as '90s' or '1m30s' (units ns, us, ms, s, m, h)",
  },
  'k8s-quantity': {
    validate: (v) => parseQuantity(v) !== undefined,
    expected: "a Kubernetes quantity such as '500m', '2' or '4Gi'",
  },
  'image-reference': {
    validate: isPinnedImage,
    expected: "an image reference with a registry and a tag or digest, such as 'quay.io/thanos/thanos:v0.42.4'",
  },
  'image-registry': {
    validate: (v) => IMAGE_REGISTRY.test(v),
    expected: "a registry and optional namespace without scheme or trailing slash, such as 'registry.tke.com/library'",
  },
  'dns-subdomain': {
    validate: (v) => v.length <= 253 && DNS_SUBDOMAIN.test(v),
    expected: 'a Kubernetes object name (lower-case letters, digits, "-" and ".")',
  },
} satisfies Record<string, StringFormat>;
