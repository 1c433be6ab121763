import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from '../../src/codec/codec';
import { loadCodecKey } from '../../src/codec/key';

const key = { id: 'k1', key: randomBytes(32) };
const codec = new AesGcmPayloadCodec(key);
const secretPayload = defaultPayloadConverter.toPayload({ secret_key: 'very-secret-value' });

/** Every byte a payload carries, data and metadata, as text. */
const bytesOf = (payload: { data?: Uint8Array | null; metadata?: Record<string, Uint8Array> | null }): string =>
  [payload.data ?? new Uint8Array(), ...Object.values(payload.metadata ?? {})].map((b) => Buffer.from(b).toString('latin1')).join('\n');

test('encoded payloads hide data and metadata, and decode back exactly', async () => {
  const [encoded] = await codec.encode([secretPayload]);
  // The plain payload carries both; the encoded one neither, in any of its bytes.
  expect(bytesOf(secretPayload)).toContain('very-secret-value');
  expect(bytesOf(secretPayload)).toContain('json/plain');
  expect(bytesOf(encoded!)).not.toContain('very-secret-value');
  expect(bytesOf(encoded!)).not.toContain('json/plain');
  expect(Buffer.from(encoded!.metadata!.encoding!).toString()).toBe('binary/encrypted');
  // A fresh IV each time: the same payload never encodes to the same bytes.
  const [again] = await codec.encode([secretPayload]);
  expect(Buffer.from(again!.data!).equals(Buffer.from(encoded!.data!))).toBe(false);
  const [decoded] = await codec.decode([encoded!]);
  expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ secret_key: 'very-secret-value' });
});

test('a tampered payload is refused', async () => {
  const [encoded] = await codec.encode([secretPayload]);
  const data = Buffer.from(encoded!.data!);
  data[20] = (data[20] ?? 0) ^ 1;
  await expect(codec.decode([{ ...encoded, data }])).rejects.toThrow();
});

test('a payload of another key id is refused, naming both ids', async () => {
  const [encoded] = await new AesGcmPayloadCodec({ id: 'old', key: randomBytes(32) }).encode([secretPayload]);
  await expect(codec.decode([encoded!])).rejects.toThrow("encrypted with key 'old', but this process has key 'k1'");
});

test('payloads that were never encrypted pass through decode unchanged', async () => {
  expect(await codec.decode([secretPayload])).toEqual([secretPayload]);
});

describe('the key', () => {
  test('is required, with a message saying how to make one', () => {
    expect(() => loadCodecKey({})).toThrow(/THANOS_INSTALLER_CODEC_KEY or THANOS_INSTALLER_CODEC_KEY_FILE.*openssl rand -base64 32/);
  });
  test('must be 32 bytes', () => {
    expect(() => loadCodecKey({ THANOS_INSTALLER_CODEC_KEY: randomBytes(16).toString('base64') })).toThrow(/32 bytes in base64, got 16 bytes/);
  });
  test('is read from the environment with its id', () => {
    const k = randomBytes(32);
    expect(loadCodecKey({ THANOS_INSTALLER_CODEC_KEY: k.toString('base64'), THANOS_INSTALLER_CODEC_KEY_ID: 'v2' })).toEqual({ id: 'v2', key: k });
  });
});
