import type {
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1PodDisruptionBudget,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { renderInstall } from '../../src/render';
import { renderThanosObjects } from '../../src/render/thanos';
import {
  containersOf,
  find,
  patched,
  podTemplateOf,
  requestFixture,
  SEED_BUCKET_CONFIG,
  seedWithThanos,
  settingsFor,
  workloads,
} from './helpers';

const seedObjects = renderThanosObjects(settingsFor(requestFixture()));
const haObjects = renderThanosObjects(settingsFor(requestFixture('ha-request.json')));

const args = (objects: readonly KubernetesObject[], kind: string, name: string) =>
  containersOf(find(objects, kind, name))[0]?.args ?? [];

describe('rendered Thanos objects', () => {
  it('come in apply order: the objstore Secret, receive, query, store, compact, rule', () => {
    expect(seedObjects.map((object) => `${object.kind}/${object.metadata?.name}`)).toEqual([
      'Secret/thanos-objstore-config',
      'ConfigMap/thanos-receive-hashring',
      'Service/thanos-receive',
      'Service/thanos-receive-nodeport',
      'StatefulSet/thanos-receive',
      'PodDisruptionBudget/thanos-receive',
      'Service/thanos-query',
      'Deployment/thanos-query',
      'PodDisruptionBudget/thanos-query',
      'Service/thanos-store',
      'StatefulSet/thanos-store',
      'PodDisruptionBudget/thanos-store',
      'Service/thanos-compact',
      'StatefulSet/thanos-compact',
      'PodDisruptionBudget/thanos-compact',
      'ConfigMap/thanos-rule-rules',
      'Service/thanos-rule',
      'StatefulSet/thanos-rule',
      'PodDisruptionBudget/thanos-rule',
    ]);
  });

  it('each carry apiVersion, kind, namespace tke and the app.kubernetes.io labels', () => {
    for (const object of seedObjects) {
      expect(object.apiVersion).toMatch(/^(v1|apps\/v1|policy\/v1)$/);
      expect(object.metadata?.namespace).toBe('tke');
      expect(Object.keys(object.metadata?.labels ?? {}).sort()).toEqual(
        [
          'app.kubernetes.io/component',
          'app.kubernetes.io/instance',
          'app.kubernetes.io/managed-by',
          'app.kubernetes.io/name',
          'app.kubernetes.io/part-of',
          'app.kubernetes.io/version',
        ].sort(),
      );
    }
  });

  it('select pods only by labels that survive an upgrade, and the selected pods carry them', () => {
    const selectors = seedObjects.flatMap((object) => {
      const spec = (object as { spec?: { selector?: Record<string, unknown> } }).spec;
      const selector = object.kind === 'Service' ? spec?.selector : (spec?.selector as { matchLabels?: unknown })?.matchLabels;
      return selector === undefined ? [] : [{ object, selector: selector as Record<string, string> }];
    });
    expect(selectors.map(({ object }) => object)).toEqual(seedObjects.filter((object) => !/Secret|ConfigMap/.test(object.kind!)));
    const podLabels = workloads(seedObjects).map((workload) => podTemplateOf(workload)?.metadata?.labels ?? {});
    for (const { selector } of selectors) {
      expect(selector).not.toHaveProperty(['app.kubernetes.io/version']);
      expect(podLabels.some((labels) => Object.entries(selector).every(([key, value]) => labels[key] === value))).toBe(true);
    }
  });

  it('use the image from the settings everywhere, with its tag as the version label', () => {
    const objects = renderThanosObjects(
      settingsFor(seedWithThanos({ bucketConfig: SEED_BUCKET_CONFIG, imageRegistry: 'registry.tke.com/library' })),
    );
    for (const workload of workloads(objects)) {
      expect(containersOf(workload).map((container) => container.image)).toEqual(['registry.tke.com/library/thanos:v0.42.4']);
    }
    const digestOnly = `quay.io/thanos/thanos@sha256:${'a'.repeat(64)}`;
    const pinned = renderThanosObjects(settingsFor(seedWithThanos({ bucketConfig: SEED_BUCKET_CONFIG, image: digestOnly })));
    expect(pinned[0]?.metadata?.labels).not.toHaveProperty(['app.kubernetes.io/version']);
  });
});

describe('every workload', () => {
  const all = workloads(haObjects);

  it('is one of the five components', () => {
    expect(all.map((workload) => workload.metadata?.name).sort()).toEqual(
      ['thanos-compact', 'thanos-query', 'thanos-receive', 'thanos-rule', 'thanos-store'].sort(),
    );
  });

  it('requests CPU and memory and limits memory', () => {
    for (const container of all.flatMap(containersOf)) {
      expect(container.resources?.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(container.resources?.limits?.memory).toEqual(expect.any(String));
    }
  });

  it('probes readiness on /-/ready and liveness on /-/healthy at its HTTP port', () => {
    for (const container of all.flatMap(containersOf)) {
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/-/ready', port: 'http' });
      expect(container.livenessProbe?.httpGet).toEqual({ path: '/-/healthy', port: 'http' });
      expect(container.ports?.map((port) => port.name)).toContain('http');
    }
  });

  it("gives the store gateway's first bucket sync plenty of time before counting it stuck", () => {
    const store = containersOf(find(haObjects, 'StatefulSet', 'thanos-store'))[0]!.readinessProbe!;
    expect(store.periodSeconds! * store.failureThreshold!).toBeGreaterThanOrEqual(600);
  });

  it('runs as the Thanos user, non-root, without privilege escalation', () => {
    for (const workload of all) {
      expect(podTemplateOf(workload)?.spec?.securityContext).toMatchObject({ runAsUser: 1001, runAsNonRoot: true, fsGroup: 1001 });
      expect(containersOf(workload)[0]?.securityContext?.allowPrivilegeEscalation).toBe(false);
    }
  });

  it('prefers spreading its pods over nodes', () => {
    for (const workload of all) {
      const terms = podTemplateOf(workload)?.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
      expect(terms).toHaveLength(1);
      expect(terms?.[0]?.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
      expect(terms?.[0]?.podAffinityTerm.labelSelector?.matchLabels).toEqual(
        (workload as V1StatefulSet).spec?.selector.matchLabels,
      );
    }
  });

  it('has a PodDisruptionBudget over exactly its pods', () => {
    for (const workload of all) {
      const budget = find<V1PodDisruptionBudget>(haObjects, 'PodDisruptionBudget', workload.metadata!.name!);
      expect(budget.spec?.selector?.matchLabels).toEqual((workload as V1StatefulSet).spec?.selector.matchLabels);
      expect(budget.spec?.maxUnavailable).toBe(1);
    }
  });

  it('mounts nothing with subPath, so ConfigMap and Secret updates reach the pods', () => {
    const mounts = all.flatMap(containersOf).flatMap((container) => container.volumeMounts ?? []);
    expect(mounts.length).toBeGreaterThan(0);
    expect(mounts.filter((mount) => mount.subPath !== undefined || mount.subPathExpr !== undefined)).toEqual([]);
  });
});

describe('bucket credentials', () => {
  const secretValues = ['thanosaccess', 'thanossecretkey123'];

  it('appear only in the objstore Secret: never in arguments, environment or other objects', () => {
    const [secret, ...others] = seedObjects;
    expect(secret?.kind).toBe('Secret');
    const elsewhere = JSON.stringify(others);
    for (const value of secretValues) expect(elsewhere).not.toContain(value);
    expect(JSON.stringify(secret)).toContain('thanossecretkey123');
  });

  it('are read from the mounted Secret file by store, compact, rule and receive, not by query', () => {
    for (const workload of workloads(seedObjects)) {
      const container = containersOf(workload)[0]!;
      const volumes = podTemplateOf(workload)?.spec?.volumes ?? [];
      const objstoreVolume = volumes.find((volume) => volume.secret?.secretName === 'thanos-objstore-config');
      if (workload.metadata?.name === 'thanos-query') {
        expect(objstoreVolume).toBeUndefined();
        continue;
      }
      expect(container.args).toContain('--objstore.config-file=/etc/thanos/objstore/objstore.yml');
      expect(container.volumeMounts).toContainEqual({ name: objstoreVolume?.name, mountPath: '/etc/thanos/objstore', readOnly: true });
      expect(objstoreVolume?.secret?.items).toBeUndefined();
      expect(container.env?.filter((variable) => variable.name !== 'POD_NAME') ?? []).toEqual([]);
    }
  });
});

describe('query', () => {
  const queryArgs = args(haObjects, 'Deployment', 'thanos-query');

  it("discovers receive, store and rule through DNS SRV records of their headless Services' gRPC ports", () => {
    const endpoints = queryArgs.filter((arg) => arg.startsWith('--endpoint=')).map((arg) => arg.slice('--endpoint='.length));
    expect(endpoints).toEqual([
      'dnssrv+_grpc._tcp.thanos-receive.tke.svc.cluster.local',
      'dnssrv+_grpc._tcp.thanos-store.tke.svc.cluster.local',
      'dnssrv+_grpc._tcp.thanos-rule.tke.svc.cluster.local',
    ]);
    for (const endpoint of endpoints) {
      const service = endpoint.replace('dnssrv+_grpc._tcp.', '').split('.')[0]!;
      const rendered = find<V1Service>(haObjects, 'Service', service);
      expect(rendered.spec?.clusterIP).toBe('None');
      expect(rendered.spec?.ports?.map((port) => port.name)).toContain('grpc');
    }
  });

  it('keeps every sample a hashring change spread over two receivers, and finds restarted pods and fresh samples within seconds', () => {
    expect(queryArgs).toContain('--deduplication.func=chain');
    expect(queryArgs).toContain('--store.sd-dns-interval=2s');
    expect(queryArgs).toContain('--endpoint.info-timeout=2s');
    expect(args(haObjects, 'StatefulSet', 'thanos-store')).toContain('--sync-block-duration=30s');
    expect(args(haObjects, 'StatefulSet', 'thanos-receive')).toContain('--receive.hashrings-file-refresh-interval=10s');
  });

  it('does not use the --store flag, which Thanos removed', () => {
    // --store.* flags tune discovery; --store=<address> itself is gone.
    expect(queryArgs.filter((arg) => arg.startsWith('--store='))).toEqual([]);
  });

  it('deduplicates the replica labels receive, rule and Prometheus set', () => {
    expect(queryArgs.filter((arg) => arg.startsWith('--query.replica-label='))).toEqual([
      '--query.replica-label=receive_replica',
      '--query.replica-label=rule_replica',
      '--query.replica-label=prometheus_replica',
    ]);
    expect(args(haObjects, 'StatefulSet', 'thanos-receive')).toContain('--label=receive_replica="$(POD_NAME)"');
    expect(args(haObjects, 'StatefulSet', 'thanos-rule')).toContain('--label=rule_replica="$(POD_NAME)"');
  });

  it('serves HTTP on 9090 behind a ClusterIP Service, with the configured replicas', () => {
    const service = find<V1Service>(haObjects, 'Service', 'thanos-query');
    expect(service.spec?.type).toBe('ClusterIP');
    expect(service.spec?.ports?.map(({ name, port }) => [name, port])).toEqual([
      ['grpc', 10901],
      ['http', 9090],
    ]);
    expect(find<V1Deployment>(haObjects, 'Deployment', 'thanos-query').spec?.replicas).toBe(2);
  });
});

describe('receive', () => {
  const receive = find<V1StatefulSet>(haObjects, 'StatefulSet', 'thanos-receive');
  const receiveArgs = args(haObjects, 'StatefulSet', 'thanos-receive');

  it("uses a tenant label other than tenant_id, which TKE's Prometheus already sends", () => {
    const tenantLabel = receiveArgs.find((arg) => arg.startsWith('--receive.tenant-label-name='));
    expect(tenantLabel).toBe('--receive.tenant-label-name=tenant');
  });

  it('takes the replication factor and its own name from the downward API', () => {
    expect(receiveArgs).toContain('--receive.replication-factor=3');
    expect(containersOf(receive)[0]?.env).toContainEqual({
      name: 'POD_NAME',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
  });

  it('keeps its TSDB on a PersistentVolume and has long enough to upload it on shutdown', () => {
    expect(receive.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests).toEqual({ storage: '50Gi' });
    expect(containersOf(receive)[0]?.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/thanos/receive' });
    expect(receiveArgs).toContain('--tsdb.path=/var/thanos/receive');
    expect(receive.spec?.template.spec?.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(600);
  });

  it('reads the hashring from its ConfigMap mounted as a directory', () => {
    const volume = receive.spec?.template.spec?.volumes?.find((v) => v.configMap?.name === 'thanos-receive-hashring');
    const mount = containersOf(receive)[0]?.volumeMounts?.find((m) => m.name === volume?.name);
    const configMap = find<V1ConfigMap>(haObjects, 'ConfigMap', 'thanos-receive-hashring');
    const [fileName] = Object.keys(configMap.data ?? {});
    expect(receiveArgs).toContain(`--receive.hashrings-file=${mount?.mountPath}/${fileName}`);
  });

  it('exposes remote-write on NodePort 31141, and gRPC and HTTP on 31139 and 31140 by default', () => {
    const nodePorts = (objects: readonly KubernetesObject[]) =>
      find<V1Service>(objects, 'Service', 'thanos-receive-nodeport').spec?.ports?.map(({ name, port, nodePort }) => [
        name,
        port,
        nodePort,
      ]);
    expect(nodePorts(haObjects)).toEqual([
      ['grpc', 10901, 31139],
      ['http', 10902, 31140],
      ['remote-write', 19291, 31141],
    ]);
    const closed = renderThanosObjects(
      settingsFor(patched({ 'config.monitor.thanos.exposeReceiveGrpcHttpNodePorts': false, 'config.monitor.thanos.nodePorts': { receiveRemoteWrite: 30141 } })),
    );
    expect(nodePorts(closed)).toEqual([['remote-write', 19291, 30141]]);
  });
});

describe('compact', () => {
  it('always runs exactly one replica, whatever the other replica counts', () => {
    expect(find<V1StatefulSet>(haObjects, 'StatefulSet', 'thanos-compact').spec?.replicas).toBe(1);
  });

  it('applies the retention per resolution and keeps running (--wait)', () => {
    const compactArgs = args(
      renderThanosObjects(
        settingsFor(seedWithThanos({ bucketConfig: SEED_BUCKET_CONFIG, retention: { raw: '7d', fiveMinutes: '30d', oneHour: '0d' } })),
      ),
      'StatefulSet',
      'thanos-compact',
    );
    expect(compactArgs).toEqual(
      expect.arrayContaining([
        '--wait',
        '--retention.resolution-raw=7d',
        '--retention.resolution-5m=30d',
        '--retention.resolution-1h=0d',
      ]),
    );
  });

  it('has a Service on its HTTP port, where thanos_compact_halted can be read', () => {
    expect(find<V1Service>(seedObjects, 'Service', 'thanos-compact').spec?.ports?.map((port) => port.port)).toEqual([10902]);
  });
});

describe('rule', () => {
  const ruleArgs = args(haObjects, 'StatefulSet', 'thanos-rule');

  it("queries through Query's HTTP SRV record, which the Query Service provides", () => {
    expect(ruleArgs).toContain('--query=dnssrv+_http._tcp.thanos-query.tke.svc.cluster.local');
    expect(find<V1Service>(haObjects, 'Service', 'thanos-query').spec?.ports?.map((port) => port.name)).toContain('http');
  });

  it('drops its replica label from alerts, unquoted', () => {
    expect(ruleArgs).toContain('--alert.label-drop=rule_replica');
  });

  it('loads every rule file of its ConfigMap, mounted as a directory', () => {
    const rule = find<V1StatefulSet>(haObjects, 'StatefulSet', 'thanos-rule');
    const volume = rule.spec?.template.spec?.volumes?.find((v) => v.configMap?.name === 'thanos-rule-rules');
    const mount = containersOf(rule)[0]?.volumeMounts?.find((m) => m.name === volume?.name);
    expect(ruleArgs).toContain(`--rule-file=${mount?.mountPath}/*.yaml`);
    const files = Object.keys(find<V1ConfigMap>(haObjects, 'ConfigMap', 'thanos-rule-rules').data ?? {});
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(file).toMatch(/\.yaml$/);
  });
});

describe('storage', () => {
  it('uses the given storage class and sizes for every PersistentVolumeClaim', () => {
    const objects = renderThanosObjects(
      settingsFor(
        seedWithThanos({ bucketConfig: SEED_BUCKET_CONFIG, storage: { storageClass: 'cbs-ssd', size: { compact: '500Gi' } } }),
      ),
    );
    const claims = objects
      .filter((object): object is V1StatefulSet => object.kind === 'StatefulSet')
      .map((set) => [set.metadata?.name, set.spec?.volumeClaimTemplates?.[0]?.spec]);
    expect(claims).toEqual([
      ['thanos-receive', expect.objectContaining({ storageClassName: 'cbs-ssd', resources: { requests: { storage: '50Gi' } } })],
      ['thanos-store', expect.objectContaining({ storageClassName: 'cbs-ssd', resources: { requests: { storage: '20Gi' } } })],
      ['thanos-compact', expect.objectContaining({ storageClassName: 'cbs-ssd', resources: { requests: { storage: '500Gi' } } })],
      ['thanos-rule', expect.objectContaining({ storageClassName: 'cbs-ssd', resources: { requests: { storage: '10Gi' } } })],
    ]);
  });

  it("leaves the storage class to the cluster's default when none is given", () => {
    const receive = find<V1StatefulSet>(seedObjects, 'StatefulSet', 'thanos-receive');
    expect(receive.spec?.volumeClaimTemplates?.[0]?.spec).not.toHaveProperty('storageClassName');
  });
});

describe('renderInstall', () => {
  it('points tke-monitor at Query and business clusters at receive through GLOBAL_NODE_IP', () => {
    const install = renderInstall(settingsFor(requestFixture('ha-request.json')));
    expect(install.queryAddress).toBe('http://thanos-query.tke.svc.cluster.local:9090');
    expect(install.remoteWriteAddress).toBe('http://127.0.2.10:31141');
    expect(install.tkeConfigEdits.map((edit) => `${edit.configMap}/${edit.key}`)).toEqual([
      'tke-monitor-api/tke-monitor-config.yaml',
      'tke-monitor-controller/tke-monitor-config.yaml',
      'tke-monitor-controller/tke-monitor-controller.toml',
      'tke-platform-controller/tke-platform-controller.toml',
    ]);
  });

  it('warns that a FILESYSTEM bucket is not shared between pods', () => {
    const install = renderInstall(settingsFor(seedWithThanos({ bucketConfig: { type: 'FILESYSTEM', config: { directory: '/d' } } })));
    expect(install.notes).toContainEqual(expect.stringMatching(/FILESYSTEM bucket .* tests only/));
  });
});

describe('flags a production install needs', () => {
  it('every component sets Go\'s memory limit from its container\'s', () => {
    for (const workload of workloads(seedObjects)) {
      expect(containersOf(workload)[0]?.args).toContain('--enable-auto-gomemlimit');
      expect(containersOf(workload)[0]?.resources?.limits?.memory).toBeDefined();
    }
  });

  it('receive distributes series with the ketama algorithm', () => {
    expect(args(seedObjects, 'StatefulSet', 'thanos-receive')).toContain('--receive.hashrings-algorithm=ketama');
  });

  it('compact has a writable /tmp under its read-only root filesystem', () => {
    const compact = find(seedObjects, 'StatefulSet', 'thanos-compact');
    const container = containersOf(compact)[0];
    expect(container?.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(container?.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(podTemplateOf(compact)?.spec?.volumes).toContainEqual({ name: 'tmp', emptyDir: {} });
  });

  it('rule links alerts to Query and sends them to no Alertmanager unless asked, which the notes say', () => {
    const rule = args(seedObjects, 'StatefulSet', 'thanos-rule');
    expect(rule).toContain('--alert.query-url=http://thanos-query.tke.svc.cluster.local:9090');
    expect(rule.filter((a) => a.startsWith('--alertmanagers.url='))).toEqual([]);
    expect(renderInstall(settingsFor(requestFixture())).notes).toContain(
      'Thanos Rule sends its alerts nowhere: config.monitor.thanos.alertmanagers names no Alertmanager.',
    );
  });

  it('rule sends alerts to every Alertmanager the request names, linked to the Query URL it gives', () => {
    const settings = settingsFor(seedWithThanos({
      bucketConfig: SEED_BUCKET_CONFIG,
      alertmanagers: ['http://alertmanager.monitoring.svc:9093', 'dnssrv+http://alertmanager-operated.monitoring.svc:9093'],
      alertQueryUrl: 'https://thanos.example.com',
    }));
    const rule = args(renderThanosObjects(settings), 'StatefulSet', 'thanos-rule');
    expect(rule.filter((a) => a.startsWith('--alert'))).toEqual([
      '--alert.label-drop=rule_replica',
      '--alert.query-url=https://thanos.example.com',
      '--alertmanagers.url=http://alertmanager.monitoring.svc:9093',
      '--alertmanagers.url=dnssrv+http://alertmanager-operated.monitoring.svc:9093',
    ]);
    expect(renderInstall(settings).notes.join('\n')).not.toContain('alerts nowhere');
  });
});
