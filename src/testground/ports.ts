import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * Asks the kernel for `count` distinct free ports on 127.0.0.1. All listeners
 * are held open until every port is known, so the ports are distinct; two
 * test grounds started at once get different ports.
 *
 * A port is free only until a server binds it, seconds later, and Linux may
 * hand a just-closed port to another process's bind(0) or outgoing
 * connection meanwhile. So each port is left with a connection closed from
 * the listening side: while that socket is in TIME_WAIT (60 s), the kernel
 * gives the port to neither, and a server that sets SO_REUSEADDR (Go and
 * Node servers do) can still bind it. (The `temporal` CLI reserves its own
 * ports the same way.)
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address for a free port');
      await leaveInTimeWait(server, address.port);
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Connects to the listener and closes the connection from the listener's side first, which leaves that side in TIME_WAIT. */
async function leaveInTimeWait(server: Server, port: number): Promise<void> {
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(port, '127.0.0.1');
  const clientClosed = new Promise<void>((resolve, reject) => {
    client.once('error', reject);
    client.once('close', () => resolve());
  });
  const socket = await accepted;
  const serverClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // The listener's side sends its FIN first; the client answers with its own (allowHalfOpen is off).
  socket.end();
  await Promise.all([clientClosed, serverClosed]);
}
