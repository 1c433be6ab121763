import { readFileSync } from 'node:fs';
import { binPath } from '../paths';
import { startProcess, waitUntilReady, type ManagedProcess } from '../process';
import type { GroundNamespaces } from './namespaces';

/**
 * The host reaches servers inside the test ground, and servers inside reach
 * the host's, through loopback ports that mean the same on both sides: a
 * kubeconfig or a Temporal address works wherever it is used.
 */
export interface ForwardedPorts {
  /** Served inside, reached from the host's 127.0.0.1. */
  out: ForwardedPort[];
  /** Served on the host, reached from 127.0.0.1 inside. */
  in: ForwardedPort[];
}

/**
 * A loopback port, relayed to the same port on the other side, or to `dial`
 * there (`host:port`): a NodePort on GLOBAL_NODE_IP, say, which exists only
 * inside the test ground.
 */
export type ForwardedPort = number | { port: number; dial: string };

const rule = (p: ForwardedPort): string => (typeof p === 'number' ? `127.0.0.1:${p}` : `127.0.0.1:${p.port}=${p.dial}`);

export async function startForwarder(
  ns: Pick<GroundNamespaces, 'netns'>,
  logDir: string,
  ports: ForwardedPorts,
  name = 'forward',
): Promise<ManagedProcess> {
  const forwarder = startProcess({
    name,
    command: binPath('forward'),
    args: [
      `--netns=${ns.netns}`,
      ...ports.out.map((p) => `--out=${rule(p)}`),
      ...ports.in.map((p) => `--in=${rule(p)}`),
    ],
    logDir,
  });
  await waitUntilReady(forwarder, 'its listeners were open', async () => readFileSync(forwarder.logFile, 'utf8').includes('ready'), 10_000);
  return forwarder;
}
