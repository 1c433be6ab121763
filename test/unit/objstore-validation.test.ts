import { OBJSTORE_TYPES } from '../../src/request/objstore';
import { validateInstallRequest, type FieldError } from '../../src/request/validate';
import { formatErrors, seedWithThanos } from './helpers';

const CONFIG = 'config.monitor.thanos.bucketConfig.config';

function bucketErrors(bucketConfig: unknown): FieldError[] {
  const result = validateInstallRequest(seedWithThanos({ bucketConfig }));
  return result.ok ? [] : result.errors;
}

function expectValid(bucketConfig: unknown): void {
  const errors = bucketErrors(bucketConfig);
  if (errors.length > 0) throw new Error(`expected no errors, got:\n${formatErrors(errors)}`);
}

/** Asserts exactly these errors (path relative to bucketConfig.config, message pattern), in any order. */
function expectErrors(bucketConfig: unknown, expected: [path: string, message: RegExp][]): void {
  const errors = bucketErrors(bucketConfig);
  expect(errors).toHaveLength(expected.length);
  for (const [path, message] of expected) {
    const fullPath = path === '' ? CONFIG : `${CONFIG}.${path}`;
    expect(errors).toContainEqual({ path: fullPath, message: expect.stringMatching(message) });
  }
}

const s3 = {
  bucket: 'thanos',
  endpoint: '127.0.0.1:9000',
  access_key: 'thanosaccess',
  secret_key: 'thanossecretkey123',
  insecure: true,
};

describe('S3 bucket config', () => {
  it.each([
    ['the minimal config with keys', s3],
    ['IAM credentials (no keys)', { bucket: 'thanos', endpoint: 's3.us-east-1.amazonaws.com' }],
    ['aws_sdk_auth without keys', { bucket: 'thanos', endpoint: 's3.amazonaws.com', aws_sdk_auth: true }],
    ['a hostname endpoint without port', { ...s3, endpoint: 'minio.storage' }],
    ['an IPv6 endpoint', { ...s3, endpoint: '[::1]:9000' }],
    [
      'every optional section',
      {
        ...s3,
        region: 'us-east-1',
        session_token: 'token',
        put_user_metadata: { 'X-Amz-Storage-Class': 'STANDARD_IA' },
        http_config: {
          idle_conn_timeout: '1m30s',
          response_header_timeout: '2m',
          insecure_skip_verify: true,
          max_idle_conns: 100,
          tls_config: { server_name: 'minio', insecure_skip_verify: true },
        },
        trace: { enable: false },
        list_objects_version: 'v1',
        bucket_lookup_type: 'path',
        send_content_md5: true,
        part_size: 134217728,
        sse_config: { type: 'SSE-KMS', kms_key_id: 'key', kms_encryption_context: { team: 'monitor' } },
        sts_endpoint: 'https://sts.amazonaws.com',
        max_retries: 3,
      },
    ],
  ])('accepts %s', (_, config) => expectValid({ type: 'S3', config }));

  it('rejects an endpoint with a scheme or a path, naming the value', () => {
    expectErrors({ type: 'S3', config: { ...s3, endpoint: 'http://minio:9000' } }, [
      ['endpoint', /^must be host\[:port\] without scheme or path, got 'http:\/\/minio:9000'$/],
    ]);
    expectErrors({ type: 'S3', config: { ...s3, endpoint: 'minio:9000/thanos' } }, [['endpoint', /without scheme or path/]]);
    expectErrors({ type: 'S3', config: { ...s3, endpoint: 'minio:99999' } }, [['endpoint', /without scheme or path/]]);
  });

  it('requires bucket and endpoint', () => {
    expectErrors({ type: 'S3', config: { access_key: 'a', secret_key: 'b' } }, [
      ['bucket', /^is required$/],
      ['endpoint', /^is required$/],
    ]);
  });

  it('requires access_key and secret_key together', () => {
    expectErrors({ type: 'S3', config: { ...s3, secret_key: undefined } }, [['secret_key', /required when access_key is set/]]);
    expectErrors({ type: 'S3', config: { ...s3, access_key: undefined } }, [['access_key', /required when secret_key is set/]]);
  });

  it('rejects aws_sdk_auth together with access_key', () => {
    expectErrors({ type: 'S3', config: { ...s3, aws_sdk_auth: true } }, [['access_key', /mutually exclusive/]]);
  });

  it('rejects unknown fields, saying Thanos would not start', () => {
    expectErrors({ type: 'S3', config: { ...s3, acess_key: 'x' } }, [
      ['acess_key', /did you mean 'access_key'\?.*rejects unknown fields and would not start/],
    ]);
  });

  it('matches field names exactly, as Thanos does', () => {
    const { bucket, ...rest } = s3;
    expectErrors({ type: 'S3', config: { ...rest, Bucket: bucket } }, [
      ['bucket', /^is required$/],
      ['Bucket', /did you mean 'bucket'/],
    ]);
  });

  it('checks field types', () => {
    expectErrors({ type: 'S3', config: { ...s3, insecure: 'true', part_size: 1.5, put_user_metadata: { a: 1 } } }, [
      ['insecure', /^must be a boolean, got 'true'$/],
      ['part_size', /^must be an integer, got 1.5$/],
      ['put_user_metadata.a', /^must be a string, got 1$/],
    ]);
  });

  it('never repeats a secret value in an error', () => {
    const errors = bucketErrors({ type: 'S3', config: { ...s3, secret_key: 12345678 } });
    expect(errors).toEqual([{ path: `${CONFIG}.secret_key`, message: 'must be a string, got an integer' }]);
  });

  it('refuses what would need files in the pods, where only objstore.yml is mounted', () => {
    expectErrors({ type: 'S3', config: { ...s3, sse_config: { type: 'SSE-C', encryption_key: '/etc/sse-c.key' } } }, [
      ['sse_config.type', /'SSE-C' needs sse_config.encryption_key, a key file in the Thanos pods/],
      ['sse_config.encryption_key', /names a file in the Thanos pods/],
    ]);
    expectErrors({ type: 'S3', config: { ...s3, http_config: { tls_config: { ca_file: '/ca.pem', cert_file: '/tls.crt' } } } }, [
      ['http_config.tls_config.ca_file', /names a file in the Thanos pods, where this installer mounts only objstore.yml/],
      ['http_config.tls_config.cert_file', /names a file in the Thanos pods/],
    ]);
  });

  it('refuses a nested TLS setting that Thanos overrides', () => {
    expectErrors({ type: 'S3', config: { ...s3, http_config: { tls_config: { insecure_skip_verify: true } } } }, [
      ['http_config.tls_config.insecure_skip_verify', /has no effect: Thanos overrides it with http_config.insecure_skip_verify/],
    ]);
  });

  it('refuses $(NAME), which Thanos would replace from its environment, anywhere in the bucket config', () => {
    const errors = bucketErrors({ type: 'S3', config: { ...s3, secret_key: 'k$(POD_NAME)' }, prefix: 'x/$(HOME)' });
    expect(errors.map((e) => e.path).sort()).toEqual(['config.monitor.thanos.bucketConfig.config.secret_key', 'config.monitor.thanos.bucketConfig.prefix']);
    for (const e of errors) expect(e.message).toMatch(/must not contain '\$\(NAME\)': Thanos replaces it .* cannot be escaped/);
    expect(JSON.stringify(errors)).not.toContain('POD_NAME');
    expectValid({ type: 'S3', config: { ...s3, secret_key: 'k${X}$Y' } });
  });

  it('requires the key that the server-side encryption type needs', () => {
    expectErrors({ type: 'S3', config: { ...s3, sse_config: { type: 'AES' } } }, [['sse_config.type', /must be one of/]]);
  });

  it('rejects signature v2 against AWS, which only accepts v4', () => {
    expectErrors({ type: 'S3', config: { ...s3, endpoint: 's3.eu-west-1.amazonaws.com', signature_version2: true } }, [
      ['signature_version2', /signature version 4/],
    ]);
  });

  it("requires virtual-hosted addressing for Tencent COS's S3 endpoint", () => {
    const cosEndpoint = { ...s3, endpoint: 'cos.ap-guangzhou.myqcloud.com' };
    expectErrors({ type: 'S3', config: cosEndpoint }, [['bucket_lookup_type', /virtual-hosted/]]);
    expectValid({ type: 'S3', config: { ...cosEndpoint, bucket_lookup_type: 'virtual-hosted' } });
  });

  it('reports every problem of a config at once', () => {
    const errors = bucketErrors({
      type: 'S3',
      config: { endpoint: 'https://x', access_key: 'a', trace: { enabled: true }, http_config: { idle_conn_timeout: 90 } },
    });
    expect(errors.map((error) => error.path).sort()).toEqual(
      [
        `${CONFIG}.bucket`,
        `${CONFIG}.endpoint`,
        `${CONFIG}.http_config.idle_conn_timeout`,
        `${CONFIG}.secret_key`,
        `${CONFIG}.trace.enabled`,
      ].sort(),
    );
  });
});

describe('GCS bucket config', () => {
  const serviceAccount = JSON.stringify({ type: 'service_account', project_id: 'p', private_key: 'k' });

  it('accepts a bucket alone (default credentials) or with a service account', () => {
    expectValid({ type: 'GCS', config: { bucket: 'thanos' } });
    expectValid({ type: 'GCS', config: { bucket: 'thanos', service_account: serviceAccount, use_grpc: true, max_retries: 2 } });
  });

  it('requires the bucket and a JSON service account, without echoing it', () => {
    expectErrors({ type: 'GCS', config: { service_account: 'not json at all' } }, [
      ['bucket', /^is required$/],
      ['service_account', /^must be the service account key file content \(a JSON object with its 'type'\)$/],
    ]);
    expectErrors({ type: 'GCS', config: { bucket: 'thanos', service_account: '{"project_id":"p"}' } }, [['service_account', /with its 'type'/]]);
  });

  it('refuses http_config with use_grpc, which ignores it', () => {
    expectErrors({ type: 'GCS', config: { bucket: 'thanos', use_grpc: true, http_config: { max_idle_conns: 10 } } }, [
      ['http_config', /has no effect when use_grpc is true/],
    ]);
  });

  it('rejects unknown fields as Thanos does', () => {
    expectErrors({ type: 'GCS', config: { bucket: 'thanos', project: 'p' } }, [['project', /would not start/]]);
  });
});

describe('AZURE bucket config', () => {
  const azure = { storage_account: 'thanosacct', storage_account_key: 'a2V5', container: 'thanos' };
  const connectionString = 'DefaultEndpointsProtocol=https;AccountName=thanosacct;AccountKey=a2V5;EndpointSuffix=core.windows.net';

  it.each([
    ['an account key', azure],
    ['a connection string', { storage_account: 'thanosacct', container: 'thanos', storage_connection_string: connectionString }],
    ['a managed identity', { storage_account: 'thanosacct', container: 'thanos', user_assigned_id: 'id' }],
    [
      'a service principal',
      { storage_account: 'thanosacct', container: 'thanos', az_tenant_id: 't', client_id: 'c', client_secret: 's' },
    ],
    ['retry settings', { ...azure, pipeline_config: { max_tries: 3, try_timeout: '30s' }, reader_config: { max_retry_requests: 2 } }],
  ])('accepts %s', (_, config) => expectValid({ type: 'AZURE', config }));

  it('requires storage_account and container', () => {
    expectErrors({ type: 'AZURE', config: { storage_account_key: 'a2V5' } }, [
      ['storage_account', /^is required$/],
      ['container', /^is required$/],
    ]);
  });

  it('rejects conflicting authentication methods', () => {
    expectErrors({ type: 'AZURE', config: { ...azure, storage_connection_string: connectionString } }, [
      ['storage_connection_string', /must not be set together with storage_account_key/],
    ]);
    expectErrors({ type: 'AZURE', config: { ...azure, user_assigned_id: 'id' } }, [
      ['storage_account_key', /must not be set together with user_assigned_id/],
    ]);
  });

  it('checks what Azure\'s SDK checks: account name, base64 key, connection string, tenant ID', () => {
    expectErrors(
      { type: 'AZURE', config: { storage_account: 'Thanos Acct', container: 'c', storage_account_key: 'not-base64!', az_tenant_id: 'my tenant', client_id: 'c', client_secret: 's' } },
      [
        ['storage_account', /3 to 24 lower-case letters and digits/],
        ['storage_account_key', /base64/],
        ['az_tenant_id', /an Azure tenant ID/],
      ],
    );
    expectErrors({ type: 'AZURE', config: { storage_account: 'thanosacct', container: 'c', storage_connection_string: 'garbage' } }, [
      ['storage_connection_string', /key=value pairs separated by semicolons/],
    ]);
  });

  it('requires the service principal fields together', () => {
    expectErrors({ type: 'AZURE', config: { storage_account: 'thanosacct', container: 'c', client_id: 'id' } }, [
      ['az_tenant_id', /must be set together/],
      ['client_secret', /must be set together/],
    ]);
  });
});

describe('SWIFT bucket config', () => {
  const swift = { auth_url: 'https://keystone.example:5000/v3', container_name: 'thanos' };

  it('accepts password or application credential authentication', () => {
    expectValid({ type: 'SWIFT', config: { ...swift, username: 'thanos', password: 'pw', project_name: 'monitor' } });
    expectValid({
      type: 'SWIFT',
      config: { ...swift, application_credential_id: 'id', application_credential_secret: 'secret', timeout: '5m' },
    });
  });

  it('requires auth_url as a URL, the container and some credentials', () => {
    expectErrors({ type: 'SWIFT', config: { auth_url: 'keystone:5000' } }, [
      ['auth_url', /http:\/\/ or https:\/\/ URL, got 'keystone:5000'/],
      ['container_name', /^is required$/],
      ['', /needs credentials/],
    ]);
  });

  it('accepts only the Swift auth versions there are', () => {
    expectErrors({ type: 'SWIFT', config: { ...swift, username: 'u', password: 'p', auth_version: 4 } }, [
      ['auth_version', /must be one of 0, 1, 2, 3, got 4/],
    ]);
  });
});

describe('COS bucket config', () => {
  const keys = { secret_id: 'AKIDexample', secret_key: 'cos-secret' };

  it('accepts bucket, app_id and region, or a full endpoint', () => {
    expectValid({ type: 'COS', config: { ...keys, bucket: 'thanos', app_id: '1250000000', region: 'ap-guangzhou' } });
    expectValid({ type: 'COS', config: { ...keys, endpoint: 'https://thanos-1250000000.cos.ap-guangzhou.myqcloud.com' } });
  });

  it('requires the keys and a way to find the bucket', () => {
    expectErrors({ type: 'COS', config: { bucket: 'thanos' } }, [
      ['secret_id', /^is required$/],
      ['secret_key', /^is required$/],
      ['app_id', /unless endpoint is set/],
      ['region', /unless endpoint is set/],
    ]);
  });

  it('wants the bare bucket name, since Thanos appends the app id', () => {
    expectErrors({ type: 'COS', config: { ...keys, bucket: 'thanos-1250000000', app_id: '1250000000', region: 'ap-guangzhou' } }, [
      ['bucket', /bare bucket name/],
    ]);
  });

  it('flags unknown fields that Thanos would silently ignore', () => {
    expectErrors({ type: 'COS', config: { ...keys, endpoint: 'https://b.cos.ap-guangzhou.myqcloud.com', regoin: 'x' } }, [
      ['regoin', /did you mean 'region'\?.*would silently ignore it/],
    ]);
  });
});

describe('ALIYUNOSS, BOS and OBS bucket configs', () => {
  it.each([
    ['ALIYUNOSS', { endpoint: 'oss-cn-hangzhou.aliyuncs.com', bucket: 'thanos', access_key_id: 'id', access_key_secret: 's' }],
    ['BOS', { bucket: 'thanos', endpoint: 'bj.bcebos.com', access_key: 'ak', secret_key: 'sk' }],
    ['OBS', { bucket: 'thanos', endpoint: 'obs.cn-north-4.myhuaweicloud.com', access_key: 'ak', secret_key: 'sk', max_retries: 3 }],
  ])('accepts a complete %s config', (type, config) => expectValid({ type, config }));

  it.each([
    ['ALIYUNOSS', ['endpoint', 'bucket', 'access_key_id', 'access_key_secret']],
    ['BOS', ['bucket', 'endpoint', 'access_key', 'secret_key']],
    ['OBS', ['bucket', 'endpoint', 'access_key', 'secret_key']],
  ])('requires every %s field', (type, fields) => {
    expectErrors(
      { type, config: {} },
      fields.map((field) => [field, /^is required$/]),
    );
  });

  it('treats an empty required string as missing', () => {
    expectErrors({ type: 'BOS', config: { bucket: '', endpoint: 'e', access_key: 'a', secret_key: 's' } }, [
      ['bucket', /^must not be empty$/],
    ]);
  });

  it('tells strict OBS from lax ALIYUNOSS when a field is unknown', () => {
    expectErrors(
      { type: 'OBS', config: { bucket: 'thanos', endpoint: 'obs.cn-north-4.myhuaweicloud.com', access_key: 'a', secret_key: 's', region: 'r' } },
      [['region', /would not start/]],
    );
    expectErrors(
      { type: 'ALIYUNOSS', config: { endpoint: 'oss-cn-hangzhou.aliyuncs.com', bucket: 'thanos', access_key_id: 'a', access_key_secret: 's', region: 'r' } },
      [['region', /would silently ignore it/]],
    );
  });
});

describe('OCI bucket config', () => {
  const raw = {
    provider: 'raw',
    bucket: 'thanos',
    tenancy_ocid: 'ocid1.tenancy',
    user_ocid: 'ocid1.user',
    region: 'us-ashburn-1',
    fingerprint: 'aa:bb',
    privatekey: '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n',
  };

  it('accepts each authentication provider with what it needs', () => {
    expectValid({ type: 'OCI', config: { provider: 'instance-principal', bucket: 'thanos', compartment_ocid: 'c', part_size: 134217728 } });
    expectValid({ type: 'OCI', config: raw });
    expectValid({ type: 'OCI', config: { provider: 'oke-workload-identity', bucket: 'thanos', region: 'us-ashburn-1' } });
  });

  it('refuses the default provider, which needs a config file in the pods, and a private key that is not PEM', () => {
    expectErrors({ type: 'OCI', config: { provider: 'default', bucket: 'thanos' } }, [['provider', /needs an OCI config file \(~\/\.oci\/config\) in the Thanos pods/]]);
    expectErrors({ type: 'OCI', config: { ...raw, privatekey: 'not a key' } }, [['privatekey', /must be a PEM private key/]]);
    expectErrors({ type: 'OCI', config: { ...raw, privatekey: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----' } }, [
      ['passphrase', /privatekey is encrypted/],
    ]);
  });

  it('requires the raw provider fields', () => {
    expectErrors({ type: 'OCI', config: { provider: 'raw', bucket: 'thanos', region: 'us-ashburn-1' } }, [
      ['tenancy_ocid', /when provider is 'raw'/],
      ['user_ocid', /when provider is 'raw'/],
      ['fingerprint', /when provider is 'raw'/],
      ['privatekey', /when provider is 'raw'/],
    ]);
  });

  it('requires a known provider', () => {
    expectErrors({ type: 'OCI', config: { bucket: 'thanos' } }, [['provider', /^is required$/]]);
    expectErrors({ type: 'OCI', config: { provider: 'api-key', bucket: 'thanos' } }, [
      ['provider', /must be one of 'default', 'instance-principal', 'raw', 'oke-workload-identity', got 'api-key'/],
    ]);
  });
});

describe('FILESYSTEM bucket config', () => {
  it('requires a directory', () => {
    expectValid({ type: 'FILESYSTEM', config: { directory: '/var/thanos/bucket' } });
    expectErrors({ type: 'FILESYSTEM', config: {} }, [['directory', /^is required$/]]);
  });

  it('flags unknown fields that Thanos would silently ignore', () => {
    expectErrors({ type: 'FILESYSTEM', config: { directory: '/d', dir: '/d' } }, [['dir', /would silently ignore it/]]);
  });
});

describe('bucket config type', () => {
  it('is matched case-insensitively, as Thanos does', () => {
    expectValid({ type: 's3', config: s3 });
    expectValid({ type: 'Gcs', config: { bucket: 'thanos' } });
    expectValid({ type: 'filesystem', config: { directory: '/d' } });
  });

  it('must name a provider Thanos has, listing them all', () => {
    const errors = bucketErrors({ type: 'minio', config: s3 });
    expect(errors).toEqual([
      {
        path: 'config.monitor.thanos.bucketConfig.type',
        message: `must be one of ${OBJSTORE_TYPES.join(', ')} (in any case), got 'minio'`,
      },
    ]);
  });

  it('is required, and so is config', () => {
    expect(bucketErrors({ config: s3 })).toEqual([
      { path: 'config.monitor.thanos.bucketConfig.type', message: expect.stringMatching(/^is required: one of S3, GCS/) },
    ]);
    expect(bucketErrors({ type: 'S3' })).toEqual([{ path: CONFIG, message: 'is required' }]);
  });

  it('accepts a prefix but nothing else beside type and config', () => {
    expectValid({ type: 'S3', config: s3, prefix: 'tke/global' });
    expect(bucketErrors({ type: 'S3', config: s3, prefx: 'x' })).toEqual([
      { path: 'config.monitor.thanos.bucketConfig.prefx', message: "is not a known field; did you mean 'prefix'?" },
    ]);
  });
});
