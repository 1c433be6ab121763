import * as k8s from '@kubernetes/client-node';
import { readCoordinates, type TestGroundCoordinates } from '../../src/testground/coordinates';

/** The running test ground's coordinates and a KubeConfig for its cluster. */
export function testGround(): { coordinates: TestGroundCoordinates; kc: k8s.KubeConfig } {
  const coordinates = readCoordinates();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(coordinates.kubernetes.kubeconfig);
  return { coordinates, kc };
}

/** A namespace of its own for one test file, so tests never see each other's objects. */
export async function freshNamespace(kc: k8s.KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}`;
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}
