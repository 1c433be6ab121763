/**
 * The worker's KubeConfig keeps its connections to the API server alive, as
 * kubectl does: the client library would open a new TLS connection (a
 * handshake, about 8 ms of CPU here) for every request.
 */
import type { Agent } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { KeepAliveKubeConfig } from '../../src/kube/config';
import { testGround } from '../support/testground';

const { coordinates } = testGround();

/** Counts the connections an agent opens. */
function countConnections(agent: Agent): () => number {
  let opened = 0;
  const open = agent.createConnection.bind(agent);
  agent.createConnection = ((...args: Parameters<Agent['createConnection']>) => {
    opened++;
    return open(...args);
  }) as Agent['createConnection'];
  return () => opened;
}

test('ten requests one after another go over one connection; the library alone makes a new agent, so a new connection, for each', async () => {
  const keepAlive = new KeepAliveKubeConfig();
  keepAlive.loadFromFile(coordinates.kubernetes.kubeconfig);
  const options: { agent?: Agent } = {};
  await keepAlive.applyToHTTPSOptions(options);
  const opened = countConnections(options.agent as Agent);
  const core = keepAlive.makeApiClient(k8s.CoreV1Api);
  for (let i = 0; i < 10; i++) await core.readNamespace({ name: 'default' });
  expect(opened()).toBe(1);

  // The library's own KubeConfig: a new agent, so a new connection, per request.
  const plain = new k8s.KubeConfig();
  plain.loadFromFile(coordinates.kubernetes.kubeconfig);
  const agents = new Set<unknown>();
  for (let i = 0; i < 3; i++) {
    const each: { agent?: unknown } = {};
    await plain.applyToHTTPSOptions(each as Parameters<k8s.KubeConfig['applyToHTTPSOptions']>[0]);
    agents.add(each.agent);
  }
  expect(agents.size).toBe(3);
});
