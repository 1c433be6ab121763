import { load } from 'js-yaml';
import type { ThanosSettings } from '../../src/request/defaults';
import { renderObjstoreYaml, objstoreSecret } from '../../src/render/objstore';
import type { BucketConfig } from '../../src/request/objstore';
import { errorsFor, seedWithThanos, settingsFor } from './helpers';

/** Renders a bucket config that went through request validation, as an install would. */
function renderValidated(bucketConfig: unknown): string {
  return renderObjstoreYaml(settingsFor(seedWithThanos({ bucketConfig })).bucketConfig);
}

describe('objstore YAML', () => {
  it("is Thanos's { type, config, prefix } document", () => {
    const yaml = renderValidated({
      type: 's3',
      config: { bucket: 'thanos', endpoint: '127.0.0.1:9000', insecure: true },
      prefix: 'global',
    });
    expect(load(yaml)).toEqual({
      type: 'S3',
      config: { bucket: 'thanos', endpoint: '127.0.0.1:9000', insecure: true },
      prefix: 'global',
    });
  });

  it('writes numbers as integers, however the JSON spelled them', () => {
    // JSON.parse turns 1.34217728e8 and 134217728.0 into the same number; Go's uint64 needs it written plainly.
    const request = JSON.parse(
      '{"bucket": "thanos", "endpoint": "minio:9000", "part_size": 1.34217728e8, "max_retries": 3.0,' +
        ' "http_config": {"max_idle_conns": 100, "max_idle_conns_per_host": 1e2}}',
    );
    const yaml = renderValidated({ type: 'S3', config: request });
    expect(yaml).toContain('part_size: 134217728\n');
    expect(yaml).toContain('max_retries: 3\n');
    expect(yaml).toContain('max_idle_conns_per_host: 100\n');
    expect(yaml).not.toMatch(/[0-9]e[-+]?[0-9]|[0-9]\.[0-9]/);
  });

  it('refuses integers too large to be written exactly', () => {
    expect(errorsFor(seedWithThanos({ bucketConfig: { type: 'S3', config: { bucket: 'thanos', endpoint: 'h', part_size: 1e21 } } }))).toEqual([
      { path: 'config.monitor.thanos.bucketConfig.config.part_size', message: 'must be at most 9007199254740991, got 1e+21' },
    ]);
  });

  it('writes a negative zero as 0, not the float -0.0', () => {
    expect(renderValidated({ type: 'S3', config: { bucket: 'thanos', endpoint: 'h', part_size: -0 } })).toContain('part_size: 0\n');
  });

  it('quotes strings that YAML would otherwise read as other types', () => {
    const yaml = renderValidated({
      type: 'COS',
      config: { bucket: 'thanos', app_id: '1250000000', region: 'yes', secret_id: 'true', secret_key: '0123' },
    });
    expect(load(yaml)).toMatchObject({ config: { app_id: '1250000000', region: 'yes', secret_id: 'true', secret_key: '0123' } });
  });

  it('writes only fields Thanos knows, even from settings that skipped validation', () => {
    const bucketConfig = {
      type: 'S3',
      config: { bucket: 'thanos', endpoint: 'h', stray: 1, http_config: { idle_conn_timeout: '1m', stray: true } },
    } as unknown as BucketConfig;
    expect(load(renderObjstoreYaml(bucketConfig))).toEqual({
      type: 'S3',
      config: { bucket: 'thanos', endpoint: 'h', http_config: { idle_conn_timeout: '1m' } },
    });
  });

  it('keeps every entry of free-form maps such as put_user_metadata', () => {
    const yaml = renderValidated({
      type: 'S3',
      config: { bucket: 'thanos', endpoint: 'h', put_user_metadata: { 'X-Amz-Storage-Class': 'STANDARD_IA', team: 'tke' } },
    });
    expect(load(yaml)).toMatchObject({ config: { put_user_metadata: { 'X-Amz-Storage-Class': 'STANDARD_IA', team: 'tke' } } });
  });

  it('keeps a multi-line GCS service account readable by Thanos', () => {
    const serviceAccount = JSON.stringify({ type: 'service_account', private_key: '-----BEGIN KEY-----\nabc\n' }, null, 2);
    const yaml = renderValidated({ type: 'GCS', config: { bucket: 'b', service_account: serviceAccount } });
    expect((load(yaml) as { config: { service_account: string } }).config.service_account).toBe(serviceAccount);
  });
});

describe('objstore Secret', () => {
  it('holds the YAML under objstore.yml in namespace tke', () => {
    const settings: ThanosSettings = settingsFor(seedWithThanos({ bucketConfig: { type: 'FILESYSTEM', config: { directory: '/d' } } }));
    const secret = objstoreSecret(settings);
    expect(secret).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'thanos-objstore-config', namespace: 'tke' },
      stringData: { 'objstore.yml': 'type: FILESYSTEM\nconfig:\n  directory: /d\n' },
    });
  });
});
