import type { KubernetesObject } from '@kubernetes/client-node';
import type { ThanosSettings } from '../../request/defaults';
import { OBJSTORE_CONFIG_FLAG, objstoreReadAtStartup } from '../objstore';
import { HTTP_PORT } from './topology';
import {
  dataMount,
  dataPath,
  headlessService,
  namedPort,
  objstoreMount,
  objstoreVolume,
  podDisruptionBudget,
  podTemplate,
  servicePort,
  statefulSet,
  thanosContainer,
} from './workload';

/**
 * Compact: Service (its HTTP port serves /metrics, where a halted compactor
 * shows as thanos_compact_halted while it stays Ready), StatefulSet,
 * PodDisruptionBudget. Always exactly one replica: two compactors on one
 * bucket produce overlapping blocks.
 */
export function compactObjects(settings: ThanosSettings): KubernetesObject[] {
  const container = thanosContainer('compact', settings, {
    args: [
      '--wait',
      `--http-address=0.0.0.0:${HTTP_PORT}`,
      `--data-dir=${dataPath('compact')}`,
      OBJSTORE_CONFIG_FLAG,
      `--retention.resolution-raw=${settings.retention.raw}`,
      `--retention.resolution-5m=${settings.retention.fiveMinutes}`,
      `--retention.resolution-1h=${settings.retention.oneHour}`,
    ],
    ports: [namedPort('http', HTTP_PORT)],
    // The root filesystem is read-only; Compact repairs broken blocks in a temporary directory (os.TempDir).
    volumeMounts: [dataMount('compact'), objstoreMount, { name: 'tmp', mountPath: '/tmp' }],
  });

  return [
    headlessService('compact', settings, [servicePort('http', HTTP_PORT)]),
    statefulSet('compact', settings, {
      replicas: settings.replicas.compact,
      template: podTemplate('compact', settings, {
        readAtStartup: objstoreReadAtStartup(settings),
        container,
        volumes: [objstoreVolume, { name: 'tmp', emptyDir: {} }],
        terminationGracePeriodSeconds: 150,
      }),
    }),
    podDisruptionBudget('compact', settings),
  ];
}
