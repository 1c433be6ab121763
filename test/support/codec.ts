import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { Payload } from '@temporalio/common';
import type { TestGroundCoordinates } from '../../src/testground/coordinates';

/** A payload as the Web UI sends and receives it: protobuf JSON, bytes in base64. */
export interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

export const toJsonPayload = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

export interface CodecAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { payloads?: JsonPayload[]; message?: string };
}

/**
 * A request to the test ground's codec endpoint over HTTPS, trusting its
 * self-signed certificate only; `payloads` undefined sends no body (a CORS
 * preflight).
 */
export function callCodec(
  c: TestGroundCoordinates,
  method: 'POST' | 'OPTIONS',
  path: 'decode' | 'encode',
  headers: Record<string, string>,
  payloads?: Payload[],
): Promise<CodecAnswer> {
  const body = payloads === undefined ? undefined : JSON.stringify({ payloads: payloads.map(toJsonPayload) });
  return new Promise((resolve, reject) => {
    const sent = request(`${c.codec.endpoint}/${path}`, {
      method,
      ca: readFileSync(c.codec.certFile),
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'x-namespace': c.temporal.namespace, ...headers },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text ? (JSON.parse(text) as CodecAnswer['body']) : {} });
      });
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

/** Every Payload anywhere in a value (a history, an event): inputs, results, memo, updates, heartbeats, failures' attributes. */
export function payloadsIn(value: unknown, skip: (key: string) => boolean = () => false): Payload[] {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return [];
  const record = value as Record<string, unknown>;
  if (ArrayBuffer.isView(record.data) && record.metadata !== null && typeof record.metadata === 'object') return [record as Payload];
  return Object.entries(record).flatMap(([key, child]) => (skip(key) ? [] : payloadsIn(child, skip)));
}
