import { BucketConfigSchema } from '../../src/request/objstore';
import { InstallRequestSchema } from '../../src/request/schema';
import { MASKED, maskSecrets } from '../../src/request/secrets';
import { patched, validRequest } from './helpers';

describe('masking', () => {
  it("hides the request's passwords and keeps everything else", () => {
    const { request } = validRequest(
      patched({
        'cluster.spec.machines.0.privateKey': 'a2V5',
        'config.registry.thirdParty': { domain: 'registry.example', namespace: 'tke', username: 'pull', password: 'cHc=' },
        'config.auth.tke': { tenantID: 'default', username: 'admin', password: 'cHc=' },
      }),
    );
    const masked = maskSecrets(InstallRequestSchema, request);
    expect(masked.cluster.spec.machines[0]).toEqual({ ip: '127.0.1.1', port: 22, username: 'root', password: MASKED, privateKey: MASKED });
    expect(masked.config.basic).toEqual({ username: 'admin', password: MASKED });
    expect(masked.config.registry?.thirdParty).toEqual({ domain: 'registry.example', namespace: 'tke', username: 'pull', password: MASKED });
    expect(masked.config.auth?.tke).toEqual({ tenantID: 'default', username: 'admin', password: MASKED });
    expect(JSON.stringify(masked)).not.toContain('thanossecretkey123');
    expect(masked.config.monitor.thanos?.bucketConfig.config).toMatchObject({ access_key: 'thanosaccess', secret_key: MASKED });
    // The original is left alone.
    expect(request.config.basic?.password).toBe('VGtlQWRtaW4xMjM=');
  });

  it.each([
    ['S3', { bucket: 'b', endpoint: 'h', access_key: 'AKID', secret_key: 's', session_token: 't' }, ['secret_key', 'session_token']],
    ['GCS', { bucket: 'b', service_account: '{"private_key": "k"}' }, ['service_account']],
    [
      'AZURE',
      { storage_account: 'acct', container: 'c', storage_account_key: 'k', storage_connection_string: 'cs', client_id: 'id', client_secret: 's' },
      ['storage_account_key', 'storage_connection_string', 'client_secret'],
    ],
    [
      'SWIFT',
      { auth_url: 'https://k', container_name: 'c', username: 'u', password: 'p', application_credential_secret: 's' },
      ['password', 'application_credential_secret'],
    ],
    ['COS', { secret_id: 'AKID', secret_key: 's', endpoint: 'https://b' }, ['secret_key']],
    ['ALIYUNOSS', { endpoint: 'e', bucket: 'b', access_key_id: 'id', access_key_secret: 's' }, ['access_key_secret']],
    ['BOS', { bucket: 'b', endpoint: 'e', access_key: 'ak', secret_key: 's' }, ['secret_key']],
    ['OBS', { bucket: 'b', endpoint: 'e', access_key: 'ak', secret_key: 's' }, ['secret_key']],
    ['OCI', { provider: 'raw', bucket: 'b', fingerprint: 'f', privatekey: 'k', passphrase: 'p' }, ['privatekey', 'passphrase']],
    ['FILESYSTEM', { directory: '/d' }, []],
  ] as [string, Record<string, unknown>, string[]][])('hides every %s secret and keeps key ids and the rest', (type, config, secrets) => {
    const masked = maskSecrets(BucketConfigSchema, { type, config } as never) as { config: Record<string, unknown> };
    const expected = Object.fromEntries(
      Object.entries(config).map(([key, value]) => [key, secrets.includes(key) ? MASKED : value]),
    );
    expect(masked.config).toEqual(expected);
  });
});
