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
  out: number[];
  /** Served on the host, reached from 127.0.0.1 inside. */
  in: number[];
}

export async function startForwarder(ns: GroundNamespaces, logDir: string, ports: ForwardedPorts): Promise<ManagedProcess> {
  const forwarder = startProcess({
    name: 'forward',
    command: binPath('forward'),
    args: [
      `--netns=${ns.netns}`,
      ...ports.out.map((p) => `--out=127.0.0.1:${p}`),
      ...ports.in.map((p) => `--in=127.0.0.1:${p}`),
    ],
    logDir,
  });
  await waitUntilReady(forwarder, 'its listeners were open', async () => readFileSync(forwarder.logFile, 'utf8').includes('ready'), 10_000);
  return forwarder;
}
