import type { KubernetesObject, V1Deployment, V1Service } from '@kubernetes/client-node';
import type { ThanosSettings } from '../../request/defaults';
import { selectorLabels } from '../labels';
import { RECEIVE_REPLICA_LABEL } from './receive';
import { RULE_REPLICA_LABEL } from './rule';
import { dnsSrvAddress, GRPC_PORT, QUERY_HTTP_PORT } from './topology';
import { metadata, namedPort, podDisruptionBudget, podTemplate, servicePort, thanosContainer } from './workload';

/** The replica label TKE's (and any HA) Prometheus sets; deduplicated like Thanos's own. */
const PROMETHEUS_REPLICA_LABEL = 'prometheus_replica';
const DNS_DISCOVERY_INTERVAL = '2s';
const ENDPOINT_INFO_INTERVAL = '2s';

/** Query: ClusterIP Service (what tke-monitor reads), Deployment, PodDisruptionBudget. */
export function queryObjects(settings: ThanosSettings): KubernetesObject[] {
  const { namespace } = settings;
  const container = thanosContainer('query', settings, {
    args: [
      `--grpc-address=0.0.0.0:${GRPC_PORT}`,
      `--http-address=0.0.0.0:${QUERY_HTTP_PORT}`,
      `--endpoint=${dnsSrvAddress('grpc', 'receive', namespace)}`,
      `--endpoint=${dnsSrvAddress('grpc', 'store', namespace)}`,
      `--endpoint=${dnsSrvAddress('grpc', 'rule', namespace)}`,
      // A restarted Receive, Store or Rule pod has a new address: look it up
      // soon, or Query answers without it (Thanos's default is 30 s).
      `--store.sd-dns-interval=${DNS_DISCOVERY_INTERVAL}`,
      // Query asks each endpoint what it serves (Receive: which times) once per
      // this timeout, and skips one whose last answer has no data for the time
      // queried: a fresh Receive's first samples are found within 2 s, not
      // Thanos's 5 (seen here: the install's canary took up to 7.7 s).
      `--endpoint.info-timeout=${ENDPOINT_INFO_INTERVAL}`,
      `--query.replica-label=${RECEIVE_REPLICA_LABEL}`,
      `--query.replica-label=${RULE_REPLICA_LABEL}`,
      `--query.replica-label=${PROMETHEUS_REPLICA_LABEL}`,
      // Every sample reaches Thanos through Receive. While a hashring change
      // reaches the replicas, a series' samples land on two of them for a
      // few seconds; the default (penalty) deduplication answers from one and
      // hides the other's, the chain one keeps every sample (Thanos's advice
      // for Receive; seen here: 13 acknowledged samples hidden by a 1 -> 3
      // scale-up).
      '--deduplication.func=chain',
      '--query.auto-downsampling',
    ],
    ports: [namedPort('grpc', GRPC_PORT), namedPort('http', QUERY_HTTP_PORT)],
  });

  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata('query', settings),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels('query'),
      ports: [servicePort('grpc', GRPC_PORT), servicePort('http', QUERY_HTTP_PORT)],
    },
  };

  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata('query', settings),
    spec: {
      replicas: settings.replicas.query,
      selector: { matchLabels: selectorLabels('query') },
      // Start the new pod before stopping the old one, so tke-monitor never loses Query.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: podTemplate('query', settings, { container, terminationGracePeriodSeconds: 150 }),
    },
  };

  return [service, deployment, podDisruptionBudget('query', settings)];
}
