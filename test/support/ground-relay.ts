import { join } from 'node:path';
import type { TestGroundCoordinates } from '../../src/testground/coordinates';
import { startForwarder } from '../../src/testground/node/forwarder';
import { freePorts } from '../../src/testground/ports';

export interface GroundRelay {
  /** The URL, with its host and port replaced by a loopback port of this machine. */
  url: string;
  stop(): Promise<void>;
}

/**
 * An http:// URL that exists only inside the test ground's network (Receive's
 * NodePort on GLOBAL_NODE_IP), reached from the test process through a
 * loopback port the test ground's `forward` relays there. Each connection to
 * the loopback port is a new connection to the target, and a refused one is
 * reset, so a client sees the target's availability as it is.
 */
export async function relayIntoGround(c: TestGroundCoordinates, url: string): Promise<GroundRelay> {
  const target = new URL(url);
  if (target.protocol !== 'http:' || !target.port) throw new Error(`url: ${JSON.stringify(url)} is not an http:// URL with a port`);
  const [port] = await freePorts(1);
  const relay = await startForwarder(
    { netns: `/proc/${c.realNode.netnsPid}/ns/net` },
    join(c.runDir, 'logs'),
    { out: [{ port: port as number, dial: target.host }], in: [] },
    `forward-${target.hostname}-${target.port}`,
  );
  target.host = `127.0.0.1:${port}`;
  return { url: target.toString(), stop: () => relay.stop() };
}
