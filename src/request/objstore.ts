import { Type, type Static, type TObject } from '@sinclair/typebox';
import { fieldError, isRecord, type FieldError, type PathSegment } from './field-error';
import { Enum, optional } from './schema-kit';

/**
 * Thanos object storage configuration (`--objstore.config-file`): one TypeBox
 * schema per provider, following the Go structs of github.com/thanos-io/objstore
 * as used by Thanos v0.42. Field names are Thanos's own YAML names and are
 * matched exactly, as Thanos's YAML decoder does. Secrets are marked
 * `writeOnly`, which is what masking (and the API's OpenAPI document) keys on.
 */

const STRICT = { additionalProperties: false } as const;

const Text = () => Type.String();
const Required = () => Type.String({ minLength: 1 });
const Secret = () => Type.String({ writeOnly: true });
const RequiredSecret = () => Type.String({ minLength: 1, writeOnly: true });
const Flag = () => Type.Boolean();
// Capped where a JSON number is still an exact integer, so it renders as one.
const Count = () => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Duration = () => Type.String({ format: 'prometheus-duration' });
const StringMap = () => Type.Record(Type.String(), Type.String());

const TlsConfig = Type.Object(
  optional({
    ca_file: Text(),
    cert_file: Text(),
    key_file: Text(),
    server_name: Text(),
    insecure_skip_verify: Flag(),
  }),
  STRICT,
);

/** The HTTP transport settings every provider's HTTP config has. */
const httpTransportFields = () => ({
  idle_conn_timeout: Duration(),
  response_header_timeout: Duration(),
  insecure_skip_verify: Flag(),
  tls_handshake_timeout: Duration(),
  expect_continue_timeout: Duration(),
  max_idle_conns: Count(),
  max_idle_conns_per_host: Count(),
  max_conns_per_host: Count(),
  disable_compression: Flag(),
});

/** exthttp.HTTPConfig, shared by S3, GCS, Azure, Swift, COS and OBS. */
const HttpConfig = Type.Object(
  optional({ ...httpTransportFields(), tls_config: TlsConfig }),
  STRICT,
);

/** OCI has its own HTTP settings (no TLS files, a client timeout in Go duration syntax). */
const OciHttpConfig = Type.Object(
  optional({ ...httpTransportFields(), client_timeout: Type.String({ format: 'go-duration' }) }),
  STRICT,
);

export const S3ConfigSchema = Type.Object(
  {
    // minio-go refuses other names on the first request.
    bucket: Type.String({ format: 's3-bucket' }),
    endpoint: Type.String({ format: 'host-port' }),
    ...optional({
      region: Text(),
      disable_dualstack: Flag(),
      aws_sdk_auth: Flag(),
      access_key: Text(),
      insecure: Flag(),
      signature_version2: Flag(),
      secret_key: Secret(),
      session_token: Secret(),
      put_user_metadata: StringMap(),
      http_config: HttpConfig,
      trace: Type.Object(optional({ enable: Flag() }), STRICT),
      list_objects_version: Enum(['', 'v1', 'v2']),
      bucket_lookup_type: Enum(['auto', 'virtual-hosted', 'path']),
      send_content_md5: Flag(),
      disable_multipart: Flag(),
      part_size: Count(),
      sse_config: Type.Object(
        optional({
          type: Enum(['', 'SSE-S3', 'SSE-KMS', 'SSE-C']),
          kms_key_id: Text(),
          kms_encryption_context: StringMap(),
          encryption_key: Text(),
        }),
        STRICT,
      ),
      sts_endpoint: Type.String({ format: 'http-url' }),
      max_retries: Count(),
    }),
  },
  STRICT,
);

export const GcsConfigSchema = Type.Object(
  {
    bucket: Required(),
    ...optional({
      service_account: Secret(),
      use_grpc: Flag(),
      grpc_conn_pool_size: Count(),
      http_config: HttpConfig,
      chunk_size_bytes: Count(),
      max_retries: Count(),
    }),
  },
  STRICT,
);

export const AzureConfigSchema = Type.Object(
  {
    // Account names become the host name of the endpoint.
    storage_account: Type.String({ format: 'azure-storage-account' }),
    container: Required(),
    ...optional({
      storage_account_key: Type.String({ format: 'base64', writeOnly: true }),
      storage_connection_string: Secret(),
      storage_create_container: Flag(),
      endpoint: Text(),
      user_assigned_id: Text(),
      az_tenant_id: Type.String({ format: 'azure-tenant-id' }),
      client_id: Text(),
      client_secret: Secret(),
      max_retries: Count(),
      reader_config: Type.Object(optional({ max_retry_requests: Count() }), STRICT),
      pipeline_config: Type.Object(
        optional({
          max_tries: Type.Integer({ minimum: 0, maximum: 2147483647 }),
          try_timeout: Duration(),
          retry_delay: Duration(),
          max_retry_delay: Duration(),
        }),
        STRICT,
      ),
      http_config: HttpConfig,
      msi_resource: Text(),
    }),
  },
  STRICT,
);

export const SwiftConfigSchema = Type.Object(
  {
    auth_url: Type.String({ format: 'http-url' }),
    container_name: Required(),
    ...optional({
      auth_version: Enum([0, 1, 2, 3]),
      username: Text(),
      user_domain_name: Text(),
      user_domain_id: Text(),
      user_id: Text(),
      password: Secret(),
      domain_id: Text(),
      domain_name: Text(),
      application_credential_id: Text(),
      application_credential_name: Text(),
      application_credential_secret: Secret(),
      project_id: Text(),
      project_name: Text(),
      project_domain_id: Text(),
      project_domain_name: Text(),
      region_name: Text(),
      large_object_chunk_size: Count(),
      large_object_segments_container_name: Text(),
      retries: Count(),
      connect_timeout: Duration(),
      timeout: Duration(),
      use_dynamic_large_objects: Flag(),
      http_config: HttpConfig,
    }),
  },
  STRICT,
);

export const CosConfigSchema = Type.Object(
  {
    secret_id: Required(),
    secret_key: RequiredSecret(),
    ...optional({
      bucket: Text(),
      region: Type.String({ format: 'cos-region' }),
      app_id: Text(),
      endpoint: Type.String({ format: 'http-url' }),
      max_retries: Count(),
      http_config: HttpConfig,
    }),
  },
  STRICT,
);

export const AliyunOssConfigSchema = Type.Object(
  {
    endpoint: Type.String({ format: 'host-or-url' }),
    bucket: Type.String({ format: 'oss-bucket' }),
    access_key_id: Required(),
    access_key_secret: RequiredSecret(),
  },
  STRICT,
);

export const BosConfigSchema = Type.Object(
  {
    bucket: Required(),
    endpoint: Required(),
    access_key: Required(),
    secret_key: RequiredSecret(),
  },
  STRICT,
);

export const ObsConfigSchema = Type.Object(
  {
    bucket: Required(),
    endpoint: Type.String({ format: 'host-or-url' }),
    access_key: Required(),
    secret_key: RequiredSecret(),
    ...optional({ max_retries: Count(), http_config: HttpConfig }),
  },
  STRICT,
);

const OCI_AUTH_PROVIDERS = ['default', 'instance-principal', 'raw', 'oke-workload-identity'] as const;

export const OciConfigSchema = Type.Object(
  {
    provider: Enum(OCI_AUTH_PROVIDERS),
    bucket: Required(),
    ...optional({
      compartment_ocid: Text(),
      tenancy_ocid: Text(),
      user_ocid: Text(),
      region: Type.String({ format: 'oci-region' }),
      fingerprint: Text(),
      privatekey: Secret(),
      passphrase: Secret(),
      part_size: Count(),
      max_request_retries: Count(),
      request_retry_interval: Count(),
      http_config: OciHttpConfig,
    }),
  },
  STRICT,
);

export const FilesystemConfigSchema = Type.Object({ directory: Required() }, STRICT);

interface ProviderSpec {
  schema: TObject;
  /**
   * Whether Thanos parses this provider's config with yaml.UnmarshalStrict.
   * Unknown fields are rejected for every provider; this only changes how the
   * error explains what Thanos itself would have done.
   */
  thanosRejectsUnknownFields: boolean;
  /** Rules across fields that the schema cannot express. */
  rules?: (config: Record<string, unknown>) => ConfigViolation[];
}

interface ConfigViolation {
  /** Field path inside `config`; empty for the config as a whole. */
  at: PathSegment[];
  message: string;
}

const isSet = (value: unknown): value is string => typeof value === 'string' && value !== '';
// Missing as Thanos sees it; a value of the wrong type is the schema's to report.
const isMissing = (value: unknown): boolean => value === undefined || value === '';

/** `a` and `b` must be set together or not at all. */
function pair(config: Record<string, unknown>, a: string, b: string, why = ''): ConfigViolation[] {
  if (isSet(config[a]) && isMissing(config[b])) return [{ at: [b], message: `is required when ${a} is set${why}` }];
  if (isSet(config[b]) && isMissing(config[a])) return [{ at: [a], message: `is required when ${b} is set${why}` }];
  return [];
}

function excludes(config: Record<string, unknown>, field: string, other: string): ConfigViolation[] {
  return isSet(config[field]) && isSet(config[other])
    ? [{ at: [other], message: `must not be set together with ${field}` }]
    : [];
}

/**
 * Fields Thanos knows that name files inside its pods (TLS CA, certificate and
 * key; S3's SSE-C key). The installer mounts only objstore.yml there and
 * Thanos reads these at start-up, so each is refused whenever it is set.
 */
export const POD_FILE_FIELDS: readonly (readonly string[])[] = [
  ['http_config', 'tls_config', 'ca_file'],
  ['http_config', 'tls_config', 'cert_file'],
  ['http_config', 'tls_config', 'key_file'],
  ['sse_config', 'encryption_key'],
];
const NO_FILES_IN_PODS = 'names a file in the Thanos pods, where this installer mounts only objstore.yml; Thanos reads it at start-up and would not start';

/** The POD_FILE_FIELDS a config sets. */
function podFileViolations(config: Record<string, unknown>): ConfigViolation[] {
  return POD_FILE_FIELDS.filter((path) => {
    const value = path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), config);
    return isSet(value);
  }).map((path) => ({ at: [...path], message: NO_FILES_IN_PODS }));
}

/** exthttp's HTTP settings, shared by S3, GCS, Azure, Swift, COS and OBS. */
function httpConfigRules(config: Record<string, unknown>): ConfigViolation[] {
  const http = isRecord(config.http_config) ? config.http_config : {};
  const tls = isRecord(http.tls_config) ? http.tls_config : {};
  const violations = podFileViolations(config);
  if (typeof tls.insecure_skip_verify === 'boolean' && tls.insecure_skip_verify !== (http.insecure_skip_verify ?? false)) {
    violations.push({
      at: ['http_config', 'tls_config', 'insecure_skip_verify'],
      message: 'has no effect: Thanos overrides it with http_config.insecure_skip_verify; set that instead',
    });
  }
  return violations;
}

function s3Rules(config: Record<string, unknown>): ConfigViolation[] {
  const violations = pair(config, 'access_key', 'secret_key', '; Thanos cannot take one from the config and the other from the environment');
  violations.push(...httpConfigRules(config));
  if (config.aws_sdk_auth === true && isSet(config.access_key)) {
    violations.push({ at: ['access_key'], message: 'must not be set when aws_sdk_auth is true (they are mutually exclusive)' });
  }
  const sse = isRecord(config.sse_config) ? config.sse_config : {};
  if (sse.type === 'SSE-C') {
    violations.push({
      at: ['sse_config', 'type'],
      message: "'SSE-C' needs sse_config.encryption_key, a key file in the Thanos pods, which this installer does not provide",
    });
  }

  if (sse.type === 'SSE-KMS' && isMissing(sse.kms_key_id)) {
    violations.push({ at: ['sse_config', 'kms_key_id'], message: "is required when sse_config.type is 'SSE-KMS'" });
  }
  const host = typeof config.endpoint === 'string' ? config.endpoint.replace(/:[0-9]+$/, '').toLowerCase() : '';
  if (host.endsWith('.amazonaws.com') && config.signature_version2 === true) {
    violations.push({ at: ['signature_version2'], message: 'must be false for AWS S3, which only accepts signature version 4' });
  }
  if (/(^|\.)cos\.[a-z0-9-]+\.myqcloud\.com$/.test(host) && config.bucket_lookup_type !== 'virtual-hosted') {
    violations.push({
      at: ['bucket_lookup_type'],
      message: "must be 'virtual-hosted' for Tencent COS's S3 endpoint, which does not serve path-style requests",
    });
  }
  return violations;
}

function gcsRules(config: Record<string, unknown>): ConfigViolation[] {
  const violations = httpConfigRules(config);
  if (config.use_grpc === true && config.http_config !== undefined) {
    violations.push({ at: ['http_config'], message: 'has no effect when use_grpc is true: the gRPC client ignores it' });
  }
  if (!isSet(config.service_account)) return violations;
  let parsed: unknown;
  try {
    parsed = JSON.parse(config.service_account);
  } catch {
    // reported below
  }
  if (!isRecord(parsed) || typeof parsed.type !== 'string') {
    violations.push({ at: ['service_account'], message: "must be the service account key file content (a JSON object with its 'type')" });
  }
  return violations;
}

/** What Azure's SDK accepts as a connection string: `key=value` pairs with an account key or a shared access signature. */
function isAzureConnectionString(value: string): boolean {
  const pairs = value.split(';').filter((part) => part !== '');
  if (pairs.length === 0 || !pairs.every((part) => /^[A-Za-z]+=.+$/.test(part))) return false;
  const keys = new Set(pairs.map((part) => part.slice(0, part.indexOf('=')).toLowerCase()));
  return (keys.has('accountname') && keys.has('accountkey')) || keys.has('sharedaccesssignature');
}

function azureRules(config: Record<string, unknown>): ConfigViolation[] {
  const violations = [
    ...httpConfigRules(config),
    ...excludes(config, 'user_assigned_id', 'storage_account_key'),
    ...excludes(config, 'user_assigned_id', 'storage_connection_string'),
    ...excludes(config, 'user_assigned_id', 'client_id'),
    ...excludes(config, 'storage_account_key', 'storage_connection_string'),
  ];
  if (isSet(config.storage_connection_string) && !isAzureConnectionString(config.storage_connection_string)) {
    violations.push({
      at: ['storage_connection_string'],
      message: 'must be key=value pairs separated by semicolons, with AccountName and AccountKey or a SharedAccessSignature',
    });
  }
  const servicePrincipal = ['az_tenant_id', 'client_id', 'client_secret'];
  if (servicePrincipal.some((field) => isSet(config[field]))) {
    for (const field of servicePrincipal.filter((f) => isMissing(config[f]))) {
      violations.push({ at: [field], message: 'is required: az_tenant_id, client_id and client_secret must be set together' });
    }
  }
  return violations;
}

function swiftRules(config: Record<string, unknown>): ConfigViolation[] {
  const given = (field: string) => !isMissing(config[field]);
  const byPassword = given('password') && (given('username') || given('user_id'));
  const byApplicationCredential =
    given('application_credential_secret') && (given('application_credential_id') || given('application_credential_name'));
  if (byPassword || byApplicationCredential) return httpConfigRules(config);
  return [
    ...httpConfigRules(config),
    {
      at: [],
      message:
        'needs credentials: password with username or user_id, or application_credential_secret with application_credential_id or application_credential_name',
    },
  ];
}

function cosRules(config: Record<string, unknown>): ConfigViolation[] {
  if (!isMissing(config.endpoint)) return httpConfigRules(config);
  const violations = ['bucket', 'app_id', 'region']
    .filter((field) => isMissing(config[field]))
    .map((field) => ({ at: [field], message: 'is required unless endpoint is set (give bucket, app_id and region, or a full endpoint URL)' }));
  if (isSet(config.bucket) && isSet(config.app_id) && config.bucket.endsWith(`-${config.app_id}`)) {
    violations.push({ at: ['bucket'], message: `must be the bare bucket name; Thanos appends -${config.app_id} itself` });
  }
  return [...violations, ...httpConfigRules(config)];
}

const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z ]+ )?PRIVATE KEY-----[\s\S]+-----END ([A-Z ]+ )?PRIVATE KEY-----/;

function ociRules(config: Record<string, unknown>): ConfigViolation[] {
  if (config.provider === 'default') {
    return [{
      at: ['provider'],
      message: "'default' needs an OCI config file (~/.oci/config) in the Thanos pods, which this installer does not provide; use raw, instance-principal or oke-workload-identity",
    }];
  }
  const requiredByProvider: Record<string, string[]> = {
    raw: ['tenancy_ocid', 'user_ocid', 'region', 'fingerprint', 'privatekey'],
    'oke-workload-identity': ['region'],
  };
  const required = typeof config.provider === 'string' ? (requiredByProvider[config.provider] ?? []) : [];
  const violations = required
    .filter((field) => isMissing(config[field]))
    .map((field) => ({ at: [field], message: `is required when provider is '${config.provider as string}'` }));
  if (isSet(config.privatekey)) {
    if (!PEM_PRIVATE_KEY.test(config.privatekey)) {
      violations.push({ at: ['privatekey'], message: 'must be a PEM private key (-----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----)' });
    } else if (/ENCRYPTED/.test(config.privatekey) && isMissing(config.passphrase)) {
      violations.push({ at: ['passphrase'], message: 'is required: privatekey is encrypted' });
    }
  }
  return violations;
}

export const OBJSTORE_PROVIDERS = {
  S3: { schema: S3ConfigSchema, thanosRejectsUnknownFields: true, rules: s3Rules },
  GCS: { schema: GcsConfigSchema, thanosRejectsUnknownFields: true, rules: gcsRules },
  AZURE: { schema: AzureConfigSchema, thanosRejectsUnknownFields: true, rules: azureRules },
  SWIFT: { schema: SwiftConfigSchema, thanosRejectsUnknownFields: true, rules: swiftRules },
  COS: { schema: CosConfigSchema, thanosRejectsUnknownFields: false, rules: cosRules },
  ALIYUNOSS: { schema: AliyunOssConfigSchema, thanosRejectsUnknownFields: false },
  BOS: { schema: BosConfigSchema, thanosRejectsUnknownFields: false },
  OCI: { schema: OciConfigSchema, thanosRejectsUnknownFields: false, rules: ociRules },
  OBS: { schema: ObsConfigSchema, thanosRejectsUnknownFields: true, rules: httpConfigRules },
  FILESYSTEM: { schema: FilesystemConfigSchema, thanosRejectsUnknownFields: false },
} satisfies Record<string, ProviderSpec>;

export type ObjstoreType = keyof typeof OBJSTORE_PROVIDERS;
export const OBJSTORE_TYPES = Object.keys(OBJSTORE_PROVIDERS) as ObjstoreType[];

export function isObjstoreType(value: unknown): value is ObjstoreType {
  return typeof value === 'string' && Object.hasOwn(OBJSTORE_PROVIDERS, value);
}

function bucketConfigVariant<T extends ObjstoreType>(type: T) {
  return Type.Object(
    {
      type: Type.Literal(type),
      config: OBJSTORE_PROVIDERS[type].schema as (typeof OBJSTORE_PROVIDERS)[T]['schema'],
      prefix: Type.Optional(Type.String({ description: 'Key prefix for everything Thanos stores in the bucket.' })),
    },
    STRICT,
  );
}

const BUCKET_CONFIG_VARIANTS = [
  bucketConfigVariant('S3'),
  bucketConfigVariant('GCS'),
  bucketConfigVariant('AZURE'),
  bucketConfigVariant('SWIFT'),
  bucketConfigVariant('COS'),
  bucketConfigVariant('ALIYUNOSS'),
  bucketConfigVariant('BOS'),
  bucketConfigVariant('OCI'),
  bucketConfigVariant('OBS'),
  bucketConfigVariant('FILESYSTEM'),
] as const;

export type BucketConfig = Static<(typeof BUCKET_CONFIG_VARIANTS)[number]>;

/**
 * `{ type, config, prefix? }`, discriminated on `type` so that Ajv (and an
 * OpenAPI reader) only checks the provider that was chosen. `type` must be
 * upper case here; the request normalizer upper-cases it first, because Thanos
 * matches it case-insensitively.
 */
export const BucketConfigSchema = Type.Unsafe<BucketConfig>({
  type: 'object',
  oneOf: [...BUCKET_CONFIG_VARIANTS],
  discriminator: { propertyName: 'type' },
  description: "Thanos object storage configuration, as in Thanos's --objstore.config-file.",
});

/**
 * Cross-field rules for a bucket config that already passed the schema, or
 * one that did not: it only looks at fields of the right type, so its
 * findings add to the schema's instead of repeating them.
 */
export function bucketConfigRules(bucketConfig: unknown, path: readonly PathSegment[]): FieldError[] {
  const references = environmentReferences(bucketConfig, path);
  if (!isRecord(bucketConfig) || !isObjstoreType(bucketConfig.type) || !isRecord(bucketConfig.config)) return references;
  const spec: ProviderSpec = OBJSTORE_PROVIDERS[bucketConfig.type];
  return [
    ...references,
    ...(spec.rules?.(bucketConfig.config) ?? []).map((violation) => fieldError([...path, 'config', ...violation.at], violation.message)),
  ];
}

/** Thanos's `$(NAME)`: it replaces these in the whole objstore file with environment variables, and has no escape. */
const ENVIRONMENT_REFERENCE = /\$\([a-zA-Z_0-9]+\)/;

/** Every key or string value, at any depth, that holds a `$(NAME)`. */
function environmentReferences(value: unknown, path: readonly PathSegment[]): FieldError[] {
  const message =
    "must not contain '$(NAME)': Thanos replaces it in the objstore file with the container's environment variable NAME (and stops if it is unset), and it cannot be escaped";
  if (typeof value === 'string') return ENVIRONMENT_REFERENCE.test(value) ? [fieldError(path, message)] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => environmentReferences(item, [...path, index]));
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(ENVIRONMENT_REFERENCE.test(key) ? [fieldError([...path, key], message)] : []),
    ...environmentReferences(child, [...path, key]),
  ]);
}

/** How an unknown field inside a provider's `config` is explained, given what Thanos itself would do with it. */
export function unknownObjstoreFieldConsequence(type: unknown): string {
  if (!isObjstoreType(type)) return '';
  const spec: ProviderSpec = OBJSTORE_PROVIDERS[type];
  return spec.thanosRejectsUnknownFields
    ? `Thanos's ${type} client rejects unknown fields and would not start`
    : `Thanos's ${type} client would silently ignore it`;
}
