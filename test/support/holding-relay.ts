/**
 * A relay on loopback in front of one of the test ground's servers (the API
 * server, MinIO): it forwards every request as it is, except those `hold`
 * picks, which it keeps until the test releases them. A slow network hop at
 * the moment a test needs one: the servers behind it stay the real ones.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface HoldingRelay {
  /** `127.0.0.1:port`, where clients send what the server should get. */
  address: string;
  /** Resolves with `METHOD path` of the first request held. */
  firstHeld: Promise<string>;
  /** Forwards what is held and everything after. */
  release(): void;
  /** Ends every connection, held ones included, and stops listening. */
  close(): Promise<void>;
}

export interface RelayOptions {
  /** The server: `http://` or `https://` host and port. */
  target: string;
  /** TLS client options for an https target (CA, client certificate). */
  tls?: RequestOptions;
  hold: (method: string, path: string) => boolean;
}

export async function startHoldingRelay(options: RelayOptions): Promise<HoldingRelay> {
  const target = new URL(options.target);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const held: (() => void)[] = [];
  let released = false;
  let noteHeld: (what: string) => void = () => {};
  const firstHeld = new Promise<string>((resolve) => {
    noteHeld = resolve;
  });

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const upstream = send(
      // Headers go as they came: MinIO checks signatures over the Host the client used.
      { ...options.tls, hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => res.destroy(err));
    req.pipe(upstream);
  };

  const server = createServer((req, res) => {
    if (!released && options.hold(req.method ?? '', req.url ?? '')) {
      held.push(() => forward(req, res));
      noteHeld(`${req.method} ${req.url}`);
      return;
    }
    forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    firstHeld,
    release() {
      released = true;
      for (const go of held.splice(0)) go();
    },
    close: () =>
      new Promise<void>((resolve) => {
        released = true;
        held.splice(0);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
