import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { bearerMatches } from '../api/auth';
import { MASKED } from '../request/secrets';
import { AccessTokenError } from './access-token';
import { maskedCredentialsIn, maskPayloads } from './mask';

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

/** Who may use the codec endpoint: the holders of a static token, and the Web UI's signed-in users. */
export interface CodecAccess {
  /** The static bearer token scripts send. */
  token?: string;
  /** Verifies the access token the Web UI passes for its signed-in user. */
  accessTokens?: { verify(token: string): Promise<unknown> };
}

/** Why a request with this Authorization header is refused; undefined when it carries the static token or a valid access token. */
async function refusalOf(access: CodecAccess, authorization: string | undefined): Promise<string | undefined> {
  const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (!bearer) return 'an Authorization: Bearer token is required';
  if (access.token !== undefined && bearerMatches(authorization, access.token)) return undefined;
  if (!access.accessTokens) return 'the bearer token is not valid';
  try {
    await access.accessTokens.verify(bearer);
    return undefined;
  } catch (err) {
    return err instanceof AccessTokenError ? `the access token is not valid: ${err.message}` : 'the access token could not be checked';
  }
}

/**
 * The remote codec endpoint the Temporal Web UI calls (POST /encode and
 * /decode), for requests carrying the static token or a signed-in user's
 * access token (401 and nothing else otherwise). /decode decrypts payloads
 * and masks credential fields: the worker, API and CLI decrypt in full with
 * the data converter, the Web UI never sees a credential. /encode (the UI's
 * signal, update and query input) refuses a masked credential sent back,
 * which the worker would otherwise use as the credential.
 */
export function codecRoutes(codec: PayloadCodec, access: CodecAccess): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', async (request, reply) => {
      const refusal = await refusalOf(access, request.headers.authorization);
      if (refusal !== undefined) return reply.code(401).header('www-authenticate', 'Bearer').send({ message: refusal });
    });
    app.post<{ Body: { payloads: JsonPayload[] } }>('/decode', { schema: { body: payloadsBody } }, async (request) => {
      const payloads = maskPayloads(await codec.decode(request.body.payloads.map(fromJson)));
      return { payloads: payloads.map(toJson) };
    });
    app.post<{ Body: { payloads: JsonPayload[] } }>('/encode', { schema: { body: payloadsBody } }, async (request, reply) => {
      const payloads = request.body.payloads.map(fromJson);
      const masked = maskedCredentialsIn(payloads);
      if (masked.length > 0) {
        return reply.code(400).send({
          message: `${masked.join(', ')}: holds the mask ${MASKED}, not a credential; give the real value (or leave the field out)`,
        });
      }
      return { payloads: (await codec.encode(payloads)).map(toJson) };
    });
  };
}

export interface CodecServerOptions {
  codec: PayloadCodec;
  access: CodecAccess;
  /** Web UI origins allowed to call the endpoint from the browser. */
  uiOrigins: string[];
  /** Serve HTTPS: the Web UI passes a user's access token only to an https endpoint. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/** Where the codec routes are served: `<endpoint>/encode` and `<endpoint>/decode`. */
export const CODEC_PATH = '/codec';

/** A standalone codec server, serving the routes under CODEC_PATH. */
export async function buildCodecServer(options: CodecServerOptions): Promise<FastifyInstance> {
  const { tls } = options;
  const app = Fastify({
    logger: false,
    // An https.Server is an http.Server to Fastify: one instance type either way.
    serverFactory: (handler) => (tls ? createHttpsServer(tls, handler) : createHttpServer(handler)),
  });
  await app.register(cors, {
    origin: options.uiOrigins,
    methods: ['POST'],
    // What the Web UI sends: the namespace, and with "pass access token" the user's tokens.
    allowedHeaders: ['content-type', 'x-namespace', 'authorization', 'authorization-extras'],
    credentials: true,
  });
  await app.register(codecRoutes(options.codec, options.access), { prefix: CODEC_PATH });
  return app;
}
