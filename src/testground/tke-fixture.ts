/**
 * Makes the test cluster look like a TKEStack global cluster as the installer
 * finds it: namespace `tke` and the three consumers of the monitor backend,
 * each mounting its ConfigMap at /app/conf, configured for InfluxDB and
 * carrying the unrelated keys (kubeconfigs, other toml files) that an install
 * must leave byte for byte unchanged.
 */
import type * as k8s from '@kubernetes/client-node';
import { applyObjects } from '../kube/apply';
import { waitForRollouts } from '../kube/wait';

const FIXTURE_MANAGER = 'tke-installer';

/** A TKE component kubeconfig, as tke-installer writes them into ConfigMaps. */
function componentKubeconfig(server: string): string {
  return `apiVersion: v1
kind: Config
clusters:
  - name: "tke"
    cluster:
      certificate-authority: /app/certs/ca.crt
      server: ${server}
users:
  - name: "admin-cert"
    user:
      client-certificate: /app/certs/admin.crt
      client-key: /app/certs/admin.key
current-context: tke
contexts:
  - context:
      cluster: tke
      user: admin-cert
    name: tke
`;
}

const influxMonitorConfig = (retentionDays?: number): string => `apiVersion: monitor.config.tkestack.io/v1
kind: MonitorConfiguration
storage:
  influxDB:
    servers:
      - address: http://influxdb.tke.svc.cluster.local:8086
        username: ""
        password: ""
        timeoutSeconds: 10
${retentionDays === undefined ? '' : `    retentionDays: ${retentionDays}\n`}`;

const monitorApiToml = `monitor_config = "/app/conf/tke-monitor-config.yaml"

[authentication]
token_auth_file = "/app/auth/token.csv"
client_ca_file = "/app/certs/ca.crt"

  [authentication.oidc]
  client_id = "default"
  issuer_url = "https://tke-auth-api/oidc"
  external_issuer_url = "https://tke-auth-api/oidc"
  ca_file = "/app/certs/ca.crt"
  username_prefix ="-"
  username_claim = "name"
  groups_claim = "groups"
  tenantid_claim = "federated_claims"

[secure_serving]
tls_cert_file = "/app/certs/server.crt"
tls_private_key_file = "/app/certs/server.key"

[etcd]
servers = ["https://etcd.kube-system:2379"]
cafile = "/app/certs/etcd-ca.crt"
certfile = "/app/certs/etcd.crt"
keyfile = "/app/certs/etcd.key"

[generic]
external_hostname = "tke-monitor-api"
external_port = 443

[client]

  [client.platform]
  api_server = "https://tke-platform-api"
  api_server_client_config = "/app/conf/tke-platform-config.yaml"

  [client.business]
  api_server = "https://tke-business-api"
  api_server_client_config = "/app/conf/tke-business-config.yaml"
`;

const monitorControllerToml = `[secure_serving]
tls_cert_file = "/app/certs/server.crt"
tls_private_key_file = "/app/certs/server.key"

[client]

  [client.monitor]
  api_server = "https://tke-monitor-api"
  api_server_client_config = "/app/conf/tke-monitor-api-config.yaml"

  [client.business]
  api_server = "https://tke-business-api"
  api_server_client_config = "/app/conf/tke-business-config.yaml"

  [client.platform]
  api_server = "https://tke-platform-api"
  api_server_client_config = "/app/conf/tke-platform-config.yaml"

[registry]
container_domain = "registry.tke.com"
container_namespace = "library"

[features]
monitor_storage_type = "influxdb"
monitor_storage_addresses = "http://127.0.1.1:30086"
`;

const platformControllerToml = `[secure_serving]
tls_cert_file = "/app/certs/server.crt"
tls_private_key_file = "/app/certs/server.key"

[client]

  [client.platform]
  api_server = "https://tke-platform-api"
  api_server_client_config = "/app/conf/tke-platform-config.yaml"

  [client.application]
  api_server = "https://tke-application-api"
  api_server_client_config = "/app/conf/tke-application-config.yaml"

[registry]
container_domain = "registry.tke.com"
container_namespace = "library"

[features]
skip_conditions = ["EnsureDocker"]
monitor_storage_type = "influxdb"
monitor_storage_addresses = "http://127.0.1.1:30086"
`;

/** The three consumers: Deployment and ConfigMap share the name. */
export const TKE_CONSUMERS = ['tke-monitor-api', 'tke-monitor-controller', 'tke-platform-controller'] as const;
export type TkeConsumer = (typeof TKE_CONSUMERS)[number];

/** The ConfigMaps' data exactly as the fixture installs them. */
export const TKE_FIXTURE_CONFIG: Record<TkeConsumer, Record<string, string>> = {
  'tke-monitor-api': {
    'tke-monitor-api.toml': monitorApiToml,
    'tke-monitor-config.yaml': influxMonitorConfig(),
    'tke-platform-config.yaml': componentKubeconfig('https://tke-platform-api'),
    'tke-business-config.yaml': componentKubeconfig('https://tke-business-api'),
    'tke-auth-webhook.yaml': componentKubeconfig('https://tke-auth-api/auth/authorize'),
  },
  'tke-monitor-controller': {
    'tke-monitor-controller.toml': monitorControllerToml,
    'tke-monitor-config.yaml': influxMonitorConfig(7),
    'tke-monitor-api-config.yaml': componentKubeconfig('https://tke-monitor-api'),
    'tke-business-config.yaml': componentKubeconfig('https://tke-business-api'),
    'tke-platform-config.yaml': componentKubeconfig('https://tke-platform-api'),
  },
  'tke-platform-controller': {
    'tke-platform-controller.toml': platformControllerToml,
    'tke-platform-config.yaml': componentKubeconfig('https://tke-platform-api'),
    'tke-application-config.yaml': componentKubeconfig('https://tke-application-api'),
  },
};

/** The port on which the TKE stand-in answers (health, the configuration it read, PromQL). */
export const TKE_STANDIN_PORT = 8080;

/** The image of a consumer, as TKE's installer deploys it; on the real node, the TKE stand-in answers to it. */
export function tkeConsumerImage(name: TkeConsumer): string {
  return `registry.tke.com/library/${name}-amd64:v1.9.2`;
}

function configMap(name: TkeConsumer, namespace: string): k8s.V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace },
    data: TKE_FIXTURE_CONFIG[name],
  };
}

function deployment(name: TkeConsumer, namespace: string): k8s.V1Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name,
              image: tkeConsumerImage(name),
              args: [`-C=/app/conf/${name}.toml`],
              // What the TKE stand-in serves on the real node (kwok's pods only pretend).
              ports: [{ name: 'http', containerPort: TKE_STANDIN_PORT }],
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
              volumeMounts: [{ name: `${name}-volume`, mountPath: '/app/conf' }],
              resources: { requests: { cpu: '50m', memory: '128Mi' } },
            },
          ],
          volumes: [{ name: `${name}-volume`, configMap: { name } }],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'node-role.kubernetes.io/master', operator: 'Exists' }] }],
              },
            },
          },
        },
      },
    },
  };
}

/** Every object of the fixture, in apply order. */
export function tkeFixtureObjects(namespace: string): k8s.KubernetesObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } as k8s.V1Namespace,
    ...TKE_CONSUMERS.map((name) => configMap(name, namespace)),
    ...TKE_CONSUMERS.map((name) => deployment(name, namespace)),
  ];
}

/**
 * Installs the fixture (idempotently) and waits until the three Deployments
 * are available. TKE uses namespace `tke`; tests use namespaces of their own.
 */
export async function installTkeFixture(kc: k8s.KubeConfig, namespace = 'tke', timeoutMs = 120_000): Promise<void> {
  const [namespaceObject, ...rest] = tkeFixtureObjects(namespace);
  await applyObjects(kc, [namespaceObject as k8s.KubernetesObject], FIXTURE_MANAGER);
  await applyObjects(kc, rest, FIXTURE_MANAGER);
  await waitForRollouts(kc, TKE_CONSUMERS.map((name) => ({ kind: 'Deployment', namespace, name })), timeoutMs);
}
