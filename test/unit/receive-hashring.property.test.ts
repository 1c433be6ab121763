import fc from 'fast-check';
import type { KubernetesObject, V1ConfigMap, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { renderThanosObjects } from '../../src/render/thanos';
import { validateInstallRequest } from '../../src/request/validate';
import { containersOf, find, SEED_BUCKET_CONFIG, seedWithThanos } from './helpers';

/** A receive topology a user could ask for; the replication factor may exceed the replicas. */
const topology = fc.record({
  replicas: fc.integer({ min: 1, max: 24 }),
  replicationFactor: fc.integer({ min: 1, max: 24 }),
});

function render({ replicas, replicationFactor }: { replicas: number; replicationFactor: number }) {
  const result = validateInstallRequest(
    seedWithThanos({
      bucketConfig: SEED_BUCKET_CONFIG,
      replicas: { receive: replicas },
      receiveReplicationFactor: replicationFactor,
    }),
  );
  return result.ok ? renderThanosObjects(result.settings) : undefined;
}

/**
 * What each receive pod runs with: the kubelet names StatefulSet pods
 * `<name>-<ordinal>` and expands `$(POD_NAME)` in arguments to that name.
 */
function podArguments(objects: readonly KubernetesObject[]) {
  const statefulSet = find<V1StatefulSet>(objects, 'StatefulSet', 'thanos-receive');
  const template = containersOf(statefulSet)[0]!.args!;
  return Array.from({ length: statefulSet.spec!.replicas! }, (_, ordinal) =>
    template.map((arg) => arg.replaceAll('$(POD_NAME)', `${statefulSet.metadata!.name}-${ordinal}`)),
  );
}

const flag = (args: readonly string[], name: string) =>
  args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('receive hashring', () => {
  it('is rendered exactly when the replication factor fits in the replicas', () => {
    fc.assert(
      fc.property(topology, (wanted) => {
        expect(render(wanted) !== undefined).toBe(wanted.replicationFactor <= wanted.replicas);
      }),
    );
  });

  it("lists every pod once, and each pod's local endpoint is its own entry, byte for byte", () => {
    fc.assert(
      fc.property(
        topology.filter(({ replicas, replicationFactor }) => replicationFactor <= replicas),
        (wanted) => {
          const objects = render(wanted)!;
          const configMap = find<V1ConfigMap>(objects, 'ConfigMap', 'thanos-receive-hashring');
          const hashrings = JSON.parse(Object.values(configMap.data!)[0]!) as { endpoints: string[]; tenants: string[] }[];
          expect(hashrings).toHaveLength(1);
          const { endpoints, tenants } = hashrings[0]!;
          expect(tenants).toEqual([]);

          const pods = podArguments(objects);
          expect(pods).toHaveLength(wanted.replicas);
          expect(endpoints).toHaveLength(wanted.replicas);
          const localEndpoints = pods.map((args) => flag(args, 'receive.local-endpoint'));
          expect(new Set(localEndpoints).size).toBe(wanted.replicas);
          expect([...localEndpoints].sort()).toEqual([...endpoints].sort());

          for (const args of pods) {
            expect(Number(flag(args, 'receive.replication-factor'))).toBe(wanted.replicationFactor);
            expect(Number(flag(args, 'receive.replication-factor'))).toBeLessThanOrEqual(endpoints.length);
          }
        },
      ),
    );
  });

  it("addresses pods through the StatefulSet's headless Service and its gRPC port", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), (replicas) => {
        const objects = render({ replicas, replicationFactor: 1 })!;
        const statefulSet = find<V1StatefulSet>(objects, 'StatefulSet', 'thanos-receive');
        const service = find<V1Service>(objects, 'Service', statefulSet.spec!.serviceName!);
        const grpcPort = service.spec!.ports!.find((port) => port.name === 'grpc')!.port;
        expect(service.spec!.clusterIP).toBe('None');
        for (const args of podArguments(objects)) {
          const [host, port] = flag(args, 'receive.local-endpoint')!.split(':');
          const [pod, ...domain] = host!.split('.');
          expect(pod).toMatch(new RegExp(`^${statefulSet.metadata!.name}-[0-9]+$`));
          expect(domain.join('.')).toBe(`${service.metadata!.name}.${service.metadata!.namespace}.svc.cluster.local`);
          expect(Number(port)).toBe(grpcPort);
        }
      }),
    );
  });
});
