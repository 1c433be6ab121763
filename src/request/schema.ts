import { Type, type Static } from '@sinclair/typebox';
import { BucketConfigSchema } from './objstore';
import { optional } from './schema-kit';

/**
 * The tke-installer request (`POST /api/cluster`) as this installer reads it.
 * One TypeBox schema gives Ajv validation, the TypeScript types and the API's
 * OpenAPI document. Parts that tke-installer owns stay open (unknown fields
 * pass, as with its Go decoder) and only what this installer reads or must
 * mask is described; `config.monitor` and its `thanos` settings are ours and
 * closed, so a typo is an error instead of a silently unused field.
 * Secrets are `writeOnly`: accepted, never shown back (see secrets.ts).
 */

const OPEN = { additionalProperties: true } as const;
const CLOSED = { additionalProperties: false } as const;

/** tke-installer's []byte fields arrive base64-encoded, as Go's JSON decoder expects. */
const Base64Secret = () => Type.String({ format: 'base64', writeOnly: true });
const IPv4 = () => Type.String({ format: 'ipv4' });
const Quantity = () => Type.String({ format: 'k8s-quantity' });
const Duration = () => Type.String({ format: 'prometheus-duration' });
const Replicas = () => Type.Integer({ minimum: 1 });
const Port = () => Type.Integer({ minimum: 1, maximum: 65535 });
/** Kubernetes' default NodePort range, which TKE's API servers keep. */
const NodePort = () =>
  Type.Integer({ minimum: 30000, maximum: 32767, description: 'In the API server\'s NodePort range, 30000-32767.' });

const MachineSchema = Type.Object(
  {
    ip: IPv4(),
    ...optional({
      port: Port(),
      username: Type.String(),
      password: Base64Secret(),
      privateKey: Base64Secret(),
      passPhrase: Base64Secret(),
    }),
  },
  OPEN,
);

const ClusterSchema = Type.Object(
  {
    ...optional({
      apiVersion: Type.Literal('platform.tkestack.io/v1'),
      kind: Type.Literal('Cluster'),
      metadata: Type.Object(optional({ name: Type.String({ format: 'dns-subdomain' }) }), OPEN),
    }),
    spec: Type.Object({ machines: Type.Array(MachineSchema, { minItems: 1 }) }, OPEN),
  },
  OPEN,
);

const RegistryCredentials = Type.Object(
  optional({ domain: Type.String(), namespace: Type.String(), username: Type.String(), password: Base64Secret() }),
  OPEN,
);

const ResourceList = Type.Object(optional({ cpu: Quantity(), memory: Quantity() }), CLOSED);
const ComponentResources = Type.Object(optional({ requests: ResourceList, limits: ResourceList }), CLOSED);

export const ThanosMonitorSchema = Type.Object(
  {
    bucketConfig: BucketConfigSchema,
    ...optional({
      image: Type.String({
        format: 'image-reference',
        description: 'Full Thanos image reference. Default quay.io/thanos/thanos:v0.42.4.',
      }),
      imageRegistry: Type.String({
        format: 'image-registry',
        description:
          "Pull the default Thanos image from this registry instead of quay.io/thanos, e.g. '<config.registry.tke.domain>/library' for TKE's own registry.",
      }),
      replicas: Type.Object(
        optional({
          query: Replicas(),
          store: Replicas(),
          rule: Replicas(),
          receive: Replicas(),
          compact: Type.Literal(1, { description: 'two compactors on one bucket corrupt it' }),
        }),
        CLOSED,
      ),
      receiveReplicationFactor: Type.Integer({
        minimum: 1,
        description: 'How many receive replicas store each sample; at most replicas.receive.',
      }),
      alertmanagers: Type.Array(Type.String({ format: 'alertmanager-url' }), {
        minItems: 1,
        description: "Alertmanagers that Thanos Rule sends its alerts to (Rule's --alertmanagers.url). Without any, alerts go nowhere.",
      }),
      alertQueryUrl: Type.String({
        format: 'http-url',
        description: "The Query URL alerts link to as their source (Rule's --alert.query-url). Default: the in-cluster Query address.",
      }),
      verifyDataPath: Type.Boolean({
        description:
          "End the install by writing a canary sample to Receive's remote-write NodePort on GLOBAL_NODE_IP and reading it back through Query. Default true; set false only where the installer cannot reach GLOBAL_NODE_IP.",
      }),
      exposeReceiveGrpcHttpNodePorts: Type.Boolean({
        description: 'Also expose receive gRPC (10901) and HTTP (10902) as NodePorts. Default true.',
      }),
      nodePorts: Type.Object(
        optional({ receiveGrpc: NodePort(), receiveHttp: NodePort(), receiveRemoteWrite: NodePort() }),
        CLOSED,
      ),
      storage: Type.Object(
        optional({
          storageClass: Type.String({ format: 'dns-subdomain', description: "Default: the cluster's default class." }),
          size: Type.Object(
            optional({ receive: Quantity(), store: Quantity(), compact: Quantity(), rule: Quantity() }),
            CLOSED,
          ),
        }),
        CLOSED,
      ),
      retention: Type.Object(
        optional({
          raw: Duration(),
          fiveMinutes: Duration(),
          oneHour: Duration(),
          receive: Type.String({ format: 'prometheus-duration', description: "Receive's local TSDB retention." }),
        }),
        CLOSED,
      ),
      resources: Type.Object(
        optional({
          query: ComponentResources,
          store: ComponentResources,
          compact: ComponentResources,
          rule: ComponentResources,
          receive: ComponentResources,
        }),
        CLOSED,
      ),
    }),
  },
  CLOSED,
);

const ExternalStorageCredentials = Type.Object(
  optional({ url: Type.String(), username: Type.String(), password: Base64Secret() }),
  OPEN,
);

const MonitorSchema = Type.Object(
  optional({
    thanos: ThanosMonitorSchema,
    es: ExternalStorageCredentials,
    influxDB: Type.Object(optional({ local: Type.Object({}, OPEN), external: ExternalStorageCredentials }), OPEN),
    retentionDays: Type.Integer({ minimum: 1 }),
  }),
  CLOSED,
);

const ConfigSchema = Type.Object(
  {
    monitor: MonitorSchema,
    ...optional({
      basic: Type.Object(optional({ username: Type.String(), password: Base64Secret() }), OPEN),
      auth: Type.Object(
        optional({
          tke: Type.Object(
            optional({ tenantID: Type.String(), username: Type.String(), password: Base64Secret() }),
            OPEN,
          ),
        }),
        OPEN,
      ),
      registry: Type.Object(
        optional({ tke: RegistryCredentials, thirdParty: RegistryCredentials, userInputRegistry: RegistryCredentials }),
        OPEN,
      ),
      application: Type.Object(optional({ registryPassword: Base64Secret() }), OPEN),
      gateway: Type.Object(
        optional({
          cert: Type.Object(
            optional({ thirdParty: Type.Object(optional({ privateKey: Base64Secret() }), OPEN) }),
            OPEN,
          ),
        }),
        OPEN,
      ),
      audit: Type.Object(
        optional({
          elasticSearch: Type.Object(optional({ password: Type.String({ writeOnly: true }) }), OPEN),
        }),
        OPEN,
      ),
      ha: Type.Object(
        optional({
          tke: Type.Object({ vip: IPv4(), vrid: Type.Optional(Type.Integer({ minimum: 1, maximum: 255 })) }, OPEN),
          thirdParty: Type.Object({ vip: IPv4(), vport: Type.Optional(Port()) }, OPEN),
        }),
        OPEN,
      ),
    }),
  },
  OPEN,
);

export const InstallRequestSchema = Type.Object({ cluster: ClusterSchema, config: ConfigSchema }, OPEN);

export type InstallRequest = Static<typeof InstallRequestSchema>;
export type ThanosMonitorConfig = Static<typeof ThanosMonitorSchema>;
export type ComponentResourcesConfig = Static<typeof ComponentResources>;
