import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import type { ThanosSettings } from '../../request/defaults';
import { OBJSTORE_CONFIG_FLAG, objstoreReadAtStartup } from '../objstore';
import { thanosQueryAddress } from '../tke/monitor-config';
import { dnsSrvAddress, GRPC_PORT, HTTP_PORT } from './topology';
import {
  dataMount,
  dataPath,
  headlessService,
  metadata,
  namedPort,
  objstoreMount,
  objstoreVolume,
  POD_NAME_ENV,
  podDisruptionBudget,
  podTemplate,
  servicePort,
  statefulSet,
  thanosContainer,
} from './workload';

const RULES_CONFIGMAP_NAME = 'thanos-rule-rules';
const RULES_MOUNT_PATH = '/etc/thanos/rules';
/** The external label each rule replica adds; dropped from alerts so replicas' alerts are one alert. */
export const RULE_REPLICA_LABEL = 'rule_replica';

/** The rules installed with Thanos: alert when the compactor halts, which it does without becoming unready. */
const DEFAULT_RULES = {
  groups: [
    {
      name: 'thanos-compact',
      rules: [
        {
          alert: 'ThanosCompactHalted',
          expr: 'thanos_compact_halted == 1',
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Thanos compactor has halted',
            description: 'Compaction and downsampling stopped; blocks need repair before it can resume.',
          },
        },
      ],
    },
  ],
};

/** Rule: rules ConfigMap, headless Service, StatefulSet, PodDisruptionBudget. */
export function ruleObjects(settings: ThanosSettings): KubernetesObject[] {
  const rules = dump(DEFAULT_RULES, { lineWidth: -1 });
  const rulesConfigMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata('rule', settings, RULES_CONFIGMAP_NAME),
    data: { 'thanos.rules.yaml': rules },
  };

  const container = thanosContainer('rule', settings, {
    args: [
      `--grpc-address=0.0.0.0:${GRPC_PORT}`,
      `--http-address=0.0.0.0:${HTTP_PORT}`,
      `--data-dir=${dataPath('rule')}`,
      `--rule-file=${RULES_MOUNT_PATH}/*.yaml`,
      `--query=${dnsSrvAddress('http', 'query', settings.namespace)}`,
      OBJSTORE_CONFIG_FLAG,
      `--label=${RULE_REPLICA_LABEL}="$(POD_NAME)"`,
      `--alert.label-drop=${RULE_REPLICA_LABEL}`,
      `--alert.query-url=${settings.alertQueryUrl ?? thanosQueryAddress(settings.namespace)}`,
      ...settings.alertmanagers.map((url) => `--alertmanagers.url=${url}`),
    ],
    env: [POD_NAME_ENV],
    ports: [namedPort('grpc', GRPC_PORT), namedPort('http', HTTP_PORT)],
    volumeMounts: [dataMount('rule'), objstoreMount, { name: 'rules', mountPath: RULES_MOUNT_PATH, readOnly: true }],
  });

  return [
    rulesConfigMap,
    headlessService('rule', settings, [servicePort('grpc', GRPC_PORT), servicePort('http', HTTP_PORT)]),
    statefulSet('rule', settings, {
      replicas: settings.replicas.rule,
      template: podTemplate('rule', settings, {
        // Rule reads its rule files at start-up too (or on a reload request, which nothing sends).
        readAtStartup: { ...objstoreReadAtStartup(settings), rules },
        container,
        volumes: [objstoreVolume, { name: 'rules', configMap: { name: RULES_CONFIGMAP_NAME } }],
        terminationGracePeriodSeconds: 150,
      }),
    }),
    podDisruptionBudget('rule', settings),
  ];
}
