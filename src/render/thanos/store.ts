import type { KubernetesObject } from '@kubernetes/client-node';
import type { ThanosSettings } from '../../request/defaults';
import { OBJSTORE_CONFIG_FLAG, objstoreReadAtStartup } from '../objstore';
import { GRPC_PORT, HTTP_PORT } from './topology';
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

export const BLOCK_SYNC_INTERVAL = '30s';

/** Store gateway: headless Service (Query discovers it by SRV), StatefulSet, PodDisruptionBudget. */
export function storeObjects(settings: ThanosSettings): KubernetesObject[] {
  const container = thanosContainer('store', settings, {
    args: [
      `--grpc-address=0.0.0.0:${GRPC_PORT}`,
      `--http-address=0.0.0.0:${HTTP_PORT}`,
      `--data-dir=${dataPath('store')}`,
      OBJSTORE_CONFIG_FLAG,
      // A Receive replica that stops (scale-down, restart) leaves its last
      // block only in the bucket: Store must pick it up within a minute, not
      // Thanos's default fifteen, or Query answers with a hole meanwhile.
      `--sync-block-duration=${BLOCK_SYNC_INTERVAL}`,
    ],
    ports: [namedPort('grpc', GRPC_PORT), namedPort('http', HTTP_PORT)],
    volumeMounts: [dataMount('store'), objstoreMount],
    // Syncing a large bucket can hold /-/ready down for minutes; tolerate it rather than drop out of the Service (and Query).
    readiness: { periodSeconds: 2, failureThreshold: 300 },
  });

  return [
    headlessService('store', settings, [servicePort('grpc', GRPC_PORT), servicePort('http', HTTP_PORT)]),
    statefulSet('store', settings, {
      replicas: settings.replicas.store,
      template: podTemplate('store', settings, {
        readAtStartup: objstoreReadAtStartup(settings),
        container,
        volumes: [objstoreVolume],
        terminationGracePeriodSeconds: 150,
      }),
    }),
    podDisruptionBudget('store', settings),
  ];
}
