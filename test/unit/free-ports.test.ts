/**
 * The ports the test ground picks for its servers on 127.0.0.1 stay free for
 * those servers: the kernel holds them back from other processes until the
 * servers bind them, and the servers can bind them at once.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePorts } from '../../src/testground/ports';

/** Local ports of the host's IPv4 TCP sockets in TIME_WAIT (state 06 in /proc/net/tcp). */
function portsInTimeWait(): Set<number> {
  const rows = readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1);
  const ports = rows.map((row) => row.trim().split(/\s+/)).filter((cols) => cols[3] === '06').map((cols) => parseInt((cols[1] as string).split(':')[1] as string, 16));
  return new Set(ports);
}

test('the ports are distinct, and each is held in TIME_WAIT so that the kernel gives it to no other bind or connection', async () => {
  const ports = await freePorts(8);
  expect(new Set(ports).size).toBe(8);
  const held = portsInTimeWait();
  expect(ports.filter((port) => !held.has(port))).toEqual([]);
});

test('a server can listen on every port it returns at once', async () => {
  const ports = await freePorts(4);
  for (const port of ports) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
