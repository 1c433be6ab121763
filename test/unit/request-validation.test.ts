import {
  DEFAULT_THANOS_IMAGE,
  THANOS_COMPONENTS,
  type ThanosSettings,
} from '../../src/request/defaults';
import { validateInstallRequest, validateThanosConfig } from '../../src/request/validate';
import {
  errorsFor,
  patched,
  requestFixture,
  SEED_BUCKET_CONFIG,
  seedWithThanos,
  settingsFor,
  validRequest,
} from './helpers';

describe("the seed proposal's request", () => {
  it('is valid once its placeholders are filled', () => {
    const { request } = validRequest(requestFixture());
    expect(request.config.monitor.thanos?.bucketConfig.type).toBe('S3');
  });

  it('gets the defaults the seed describes: one replica each, the seed NodePorts, the pinned image', () => {
    const settings = settingsFor(requestFixture());
    expect(settings).toMatchObject<Partial<ThanosSettings>>({
      namespace: 'tke',
      image: DEFAULT_THANOS_IMAGE,
      replicas: { query: 1, store: 1, rule: 1, receive: 1, compact: 1 },
      receiveReplicationFactor: 1,
      exposeReceiveGrpcHttpNodePorts: true,
      nodePorts: { receiveGrpc: 31139, receiveHttp: 31140, receiveRemoteWrite: 31141 },
      globalNodeIp: { address: '127.0.1.1', source: 'first-machine' },
    });
    expect(DEFAULT_THANOS_IMAGE).toBe('quay.io/thanos/thanos:v0.42.4');
  });
});

describe('field names', () => {
  it('are matched case-insensitively, as by tke-installer (its Go struct even spells Config)', () => {
    const { config, cluster } = requestFixture() as { config: Record<string, unknown>; cluster: unknown };
    delete config.monitor;
    const { request } = validRequest({
      Cluster: cluster,
      Config: { ...config, Monitor: { THANOS: { BucketConfig: { TYPE: 's3', Config: SEED_BUCKET_CONFIG.config } } } },
    });
    expect(request.config.monitor.thanos?.bucketConfig).toEqual({ type: 'S3', config: SEED_BUCKET_CONFIG.config });
  });

  it('may not be given twice in different cases', () => {
    const request = requestFixture();
    expect(errorsFor({ ...request, Config: request.config })).toEqual([
      { path: 'config', message: "is given twice, as 'config' and 'Config' (keys are matched case-insensitively)" },
    ]);
  });

  it('are kept as given where tke-installer does not look (open parts of the request)', () => {
    const { request } = validRequest(patched({ 'cluster.spec.CustomField': 1 }));
    expect(request.cluster.spec).toHaveProperty('CustomField', 1);
  });
});

describe('config.monitor', () => {
  it('must choose Thanos: this installer installs nothing else', () => {
    expect(errorsFor(patched({ 'config.monitor': { es: { url: 'http://127.0.3.6:9200' } } }))).toEqual([
      { path: 'config.monitor.thanos', message: 'is required: this installer sets up Thanos as the monitor backend' },
    ]);
    expect(errorsFor(patched({ 'config.monitor': {} }))).toEqual([
      { path: 'config.monitor.thanos', message: expect.stringMatching(/^is required/) },
    ]);
  });

  it('must choose exactly one backend, so Thanos cannot sit unused beside another', () => {
    expect(errorsFor(patched({ 'config.monitor.influxDB': { local: {} } }))).toEqual([
      { path: 'config.monitor', message: expect.stringMatching(/^must choose exactly one backend, got thanos and influxDB/) },
    ]);
  });

  it('treats a null backend as absent, like tke-installer', () => {
    validRequest(patched({ 'config.monitor.es': null }));
  });

  it('rejects retentionDays, which Thanos would not use', () => {
    expect(errorsFor(patched({ 'config.monitor.retentionDays': 7 }))).toEqual([
      {
        path: 'config.monitor.retentionDays',
        message: 'is not used by Thanos; set config.monitor.thanos.retention instead',
      },
    ]);
  });

  it('rejects unknown settings instead of ignoring them', () => {
    expect(errorsFor(patched({ 'config.monitor.thanos.replica': { receive: 3 } }))).toEqual([
      { path: 'config.monitor.thanos.replica', message: "is not a known field; did you mean 'replicas'?" },
    ]);
  });
});

describe('errors', () => {
  it('are all reported at once, each with its JSON path', () => {
    const errors = errorsFor(
      patched({
        'cluster.spec.machines': [{ ip: '127.0.1.1' }, { ip: 'node-2' }],
        'config.ha': { tke: { vip: '127.0.2.300' } },
        'config.monitor.thanos.bucketConfig.config.endpoint': 'https://127.0.0.1:9000',
        'config.monitor.thanos.replicas': { receive: 0 },
        'config.monitor.thanos.retention': { raw: '30 days' },
      }),
    );
    expect(errors.map((error) => error.path)).toEqual([
      'cluster.spec.machines[1].ip',
      'config.monitor.thanos.bucketConfig.config.endpoint',
      'config.monitor.thanos.replicas.receive',
      'config.monitor.thanos.retention.raw',
      'config.ha.tke.vip',
    ]);
    expect(errors[0]?.message).toBe("must be an IPv4 address, got 'node-2'");
  });

  it('name the root when the request is not an object', () => {
    expect(validateInstallRequest(null)).toEqual({
      ok: false,
      errors: [{ path: '(root)', message: 'must be an object, got null' }],
    });
  });

  it('require at least one machine and the request parts', () => {
    expect(errorsFor(patched({ 'cluster.spec.machines': [] }))).toEqual([
      { path: 'cluster.spec.machines', message: 'must have at least 1 item' },
    ]);
    expect(errorsFor({ cluster: requestFixture().cluster })).toEqual([{ path: 'config', message: 'is required' }]);
  });

  it('never show the value of a secret', () => {
    const errors = errorsFor(
      patched({ 'cluster.spec.machines.0.password': 'hunter2!', 'config.basic.password': 'also secret' }),
    );
    expect(errors).toEqual([
      { path: 'cluster.spec.machines[0].password', message: 'must be base64-encoded (standard alphabet, padded)' },
      { path: 'config.basic.password', message: 'must be base64-encoded (standard alphabet, padded)' },
    ]);
  });
});

describe('Thanos settings', () => {
  const thanos = (settings: Record<string, unknown>) => seedWithThanos({ bucketConfig: SEED_BUCKET_CONFIG, ...settings });

  it('take replicas per component, but compact is always one', () => {
    const settings = settingsFor(thanos({ replicas: { query: 2, store: 3, rule: 2, receive: 5 } }));
    expect(settings.replicas).toEqual({ query: 2, store: 3, rule: 2, receive: 5, compact: 1 });
    expect(errorsFor(thanos({ replicas: { compact: 2 } }))).toEqual([
      {
        path: 'config.monitor.thanos.replicas.compact',
        message: 'must be 1 (two compactors on one bucket corrupt it), got 2',
      },
    ]);
  });

  it('keep the receive replication factor within the receive replicas', () => {
    expect(settingsFor(thanos({ replicas: { receive: 3 }, receiveReplicationFactor: 3 })).receiveReplicationFactor).toBe(3);
    expect(errorsFor(thanos({ receiveReplicationFactor: 2 }))).toEqual([
      {
        path: 'config.monitor.thanos.receiveReplicationFactor',
        message:
          'must not exceed the number of receive replicas (1, replicas.receive, by default): each sample is written to 2 different replicas',
      },
    ]);
  });

  it('let the registry of the default image be replaced, as TKE pulls from its own', () => {
    expect(settingsFor(thanos({ imageRegistry: 'registry.tke.com/library' })).image).toBe(
      'registry.tke.com/library/thanos:v0.42.4',
    );
    expect(settingsFor(thanos({ image: 'registry.tke.com:5000/library/thanos:v0.42.4-tke' })).image).toBe(
      'registry.tke.com:5000/library/thanos:v0.42.4-tke',
    );
  });

  it('want an image pinned to a tag or digest, and not two ways of naming it', () => {
    expect(errorsFor(thanos({ image: 'quay.io/thanos/thanos' }))[0]?.message).toMatch(/with a registry and a tag or digest/);
    expect(errorsFor(thanos({ imageRegistry: 'https://registry.tke.com/' }))[0]?.message).toMatch(/without scheme/);
    expect(errorsFor(thanos({ image: 'quay.io/thanos/thanos:v0.42.4', imageRegistry: 'registry.tke.com' }))).toEqual([
      { path: 'config.monitor.thanos.imageRegistry', message: expect.stringMatching(/must not be set together with image/) },
    ]);
  });

  it('merge resources with the defaults, value by value', () => {
    const settings = settingsFor(thanos({ resources: { receive: { requests: { memory: '2Gi' }, limits: { cpu: '2' } } } }));
    expect(settings.resources.receive).toEqual({ requests: { cpu: '200m', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } });
    for (const component of THANOS_COMPONENTS) {
      expect(settings.resources[component].requests.memory).toBeDefined();
      expect(settings.resources[component].limits.memory).toBeDefined();
    }
  });

  it('reject a request above the limit it would be merged with', () => {
    expect(errorsFor(thanos({ resources: { receive: { requests: { memory: '8Gi' } } } }))).toEqual([
      {
        path: 'config.monitor.thanos.resources.receive.requests.memory',
        message: '(8Gi) must not exceed the memory limit (4Gi, the default); raise limits.memory too',
      },
    ]);
    settingsFor(thanos({ resources: { receive: { requests: { memory: '8Gi' }, limits: { memory: '8Gi' } } } }));
    expect(errorsFor(thanos({ resources: { store: { requests: { cpu: '1500m' }, limits: { cpu: '1' } } } }))).toEqual([
      { path: 'config.monitor.thanos.resources.store.requests.cpu', message: '(1500m) must not exceed the cpu limit (1)' },
    ]);
    expect(errorsFor(thanos({ resources: { query: { limits: { memory: '128Mi' } } } }))).toEqual([
      {
        path: 'config.monitor.thanos.resources.query.limits.memory',
        message: '(128Mi) must not be below the memory request (256Mi, the default); lower requests.memory too',
      },
    ]);
  });

  it('take NodePorts that do not collide with each other', () => {
    expect(settingsFor(thanos({ nodePorts: { receiveRemoteWrite: 30141 } })).nodePorts.receiveRemoteWrite).toBe(30141);
    expect(errorsFor(thanos({ nodePorts: { receiveRemoteWrite: 31139 } }))).toEqual([
      {
        path: 'config.monitor.thanos.nodePorts.receiveRemoteWrite',
        message: 'must differ from nodePorts.receiveGrpc (both 31139)',
      },
    ]);
    // Unexposed gRPC/HTTP NodePorts are not allocated, so they cannot collide.
    settingsFor(thanos({ exposeReceiveGrpcHttpNodePorts: false, nodePorts: { receiveRemoteWrite: 31139 } }));
  });

  it('take storage class, sizes and retention', () => {
    const settings = settingsFor(
      thanos({
        storage: { storageClass: 'cbs', size: { receive: '200Gi' } },
        retention: { raw: '15d', oneHour: '2y' },
      }),
    );
    expect(settings.storage).toEqual({
      storageClass: 'cbs',
      size: { receive: '200Gi', store: '20Gi', compact: '100Gi', rule: '10Gi' },
    });
    expect(settings.retention).toEqual({ raw: '15d', fiveMinutes: '90d', oneHour: '2y', receive: '1d' });
  });
});

describe('validateThanosConfig (a retry with corrected settings)', () => {
  const { settings } = validRequest(requestFixture('ha-request.json'));

  it('reports paths from the request root', () => {
    expect(validateThanosConfig({ bucketConfig: { type: 'S3', config: { bucket: 'thanos' } } }, settings.globalNodeIp)).toEqual({
      ok: false,
      errors: [{ path: 'config.monitor.thanos.bucketConfig.config.endpoint', message: 'is required' }],
    });
  });

  it('builds the settings with the GLOBAL_NODE_IP of the accepted request', () => {
    const result = validateThanosConfig({ BucketConfig: { type: 'gcs', config: { bucket: 'thanos' } } }, settings.globalNodeIp);
    expect(result.ok && result.settings.globalNodeIp).toEqual({ address: '127.0.2.10', source: 'tke-ha-vip' });
    expect(result.ok && result.settings.bucketConfig).toEqual({ type: 'GCS', config: { bucket: 'thanos' } });
  });
});

describe('alerting settings', () => {
  test.each([
    [['alertmanager:9093'], 'config.monitor.thanos.alertmanagers[0]', 'an Alertmanager URL'],
    [['ftp://alertmanager:9093'], 'config.monitor.thanos.alertmanagers[0]', 'an Alertmanager URL'],
    [[], 'config.monitor.thanos.alertmanagers', ''],
  ])('alertmanagers %j is refused at %s', (alertmanagers, path, message) => {
    const errors = errorsFor(seedWithThanos({ bucketConfig: SEED_BUCKET_CONFIG, alertmanagers }));
    expect(errors.map((e) => e.path)).toContain(path);
    expect(errors.find((e) => e.path === path)?.message).toContain(message);
  });

  test('an alert query URL must be an http(s) URL', () => {
    const errors = errorsFor(seedWithThanos({ bucketConfig: SEED_BUCKET_CONFIG, alertQueryUrl: 'thanos.example.com' }));
    expect(errors).toEqual([expect.objectContaining({ path: 'config.monitor.thanos.alertQueryUrl' })]);
  });
});

describe('retention Compact accepts', () => {
  test.each([
    [{ raw: '39h' }, 'config.monitor.thanos.retention.raw', 'at least 40h'],
    [{ raw: '1d' }, 'config.monitor.thanos.retention.raw', 'at least 40h'],
    [{ fiveMinutes: '9d23h' }, 'config.monitor.thanos.retention.fiveMinutes', 'at least 10d'],
  ])('%j is refused, naming the minimum', (retention, path, message) => {
    const errors = errorsFor(seedWithThanos({ bucketConfig: SEED_BUCKET_CONFIG, retention }));
    expect(errors).toEqual([expect.objectContaining({ path, message: expect.stringContaining(message) })]);
  });

  test.each([{ raw: '40h' }, { raw: '0' }, { raw: '2d', fiveMinutes: '10d', oneHour: '1h' }, { fiveMinutes: '1y' }])('%j is accepted', (retention) => {
    expect(validateInstallRequest(seedWithThanos({ bucketConfig: SEED_BUCKET_CONFIG, retention }))).toMatchObject({ ok: true });
  });
});
