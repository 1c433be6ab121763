import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';

/** A payload as the Temporal Web UI sends it: protobuf JSON, bytes in base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  };
}

const payloadsBody = {
  type: 'object',
  required: ['payloads'],
  properties: {
    payloads: {
      type: 'array',
      items: {
        type: 'object',
        properties: { metadata: { type: 'object', additionalProperties: { type: 'string' } }, data: { type: 'string' } },
      },
    },
  },
} as const;

/**
 * The remote codec endpoint the Temporal Web UI calls (POST /encode and
 * /decode) so that authorized operators read payloads decoded while Temporal
 * stores them encrypted.
 */
export function codecRoutes(codec: PayloadCodec): FastifyPluginAsync {
  return async (app) => {
    for (const [path, transform] of [
      ['/encode', (ps: Payload[]) => codec.encode(ps)],
      ['/decode', (ps: Payload[]) => codec.decode(ps)],
    ] as const) {
      app.post<{ Body: { payloads: JsonPayload[] } }>(path, { schema: { body: payloadsBody } }, async (request) => {
        const payloads = await transform(request.body.payloads.map(fromJson));
        return { payloads: payloads.map(toJson) };
      });
    }
  };
}

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Web UI origins allowed to call the endpoint from the browser. */
  uiOrigins: string[];
}

/** Where the codec routes are served: `<endpoint>/encode` and `<endpoint>/decode`. */
export const CODEC_PATH = '/codec';

/** A standalone codec server, serving the routes under CODEC_PATH. */
export async function buildCodecServer(options: CodecServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(cors, {
    origin: options.uiOrigins,
    methods: ['POST'],
    allowedHeaders: ['content-type', 'x-namespace', 'authorization'],
    credentials: true,
  });
  await app.register(codecRoutes(options.codec), { prefix: CODEC_PATH });
  return app;
}
