import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { AesGcmPayloadCodec } from '../../src/codec/codec';
import { encryptingDataConverter } from '../../src/codec/data-converter';
import { loadCodecKeys, singleKey, type CodecKey } from '../../src/codec/key';

const key: CodecKey = { id: 'k1', key: randomBytes(32) };
const codec = new AesGcmPayloadCodec(singleKey(key));
const secretPayload = defaultPayloadConverter.toPayload({ secret_key: 'very-secret-value' });

/** Every byte a payload carries, data and metadata, as text. */
const bytesOf = (payload: { data?: Uint8Array | null; metadata?: Record<string, Uint8Array> | null }): string =>
  [payload.data ?? new Uint8Array(), ...Object.values(payload.metadata ?? {})].map((b) => Buffer.from(b).toString('latin1')).join('\n');
const keyIdOf = (payload: { metadata?: Record<string, Uint8Array> | null }) => Buffer.from(payload.metadata?.['encryption-key-id'] ?? []).toString();

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

describe('after a key rotation', () => {
  const next: CodecKey = { id: 'k2', key: randomBytes(32) };
  const rotated = new AesGcmPayloadCodec({ current: next, byId: new Map([[key.id, key.key], [next.id, next.key]]) });

  test('new payloads are encrypted with the current key, and payloads of the older key still decrypt', async () => {
    const [old] = await codec.encode([secretPayload]);
    const [fresh] = await rotated.encode([secretPayload]);
    expect([keyIdOf(old!), keyIdOf(fresh!)]).toEqual(['k1', 'k2']);
    for (const decoded of await rotated.decode([old!, fresh!])) {
      expect(defaultPayloadConverter.fromPayload(decoded)).toEqual({ secret_key: 'very-secret-value' });
    }
  });

  test('a payload of a key no longer configured is refused, naming its id and the ids there are', async () => {
    const [fresh] = await rotated.encode([secretPayload]);
    await expect(codec.decode([fresh!])).rejects.toThrow("a payload was encrypted with the key 'k2', which this process does not have (it has k1)");
  });

  test('a key swapped under its id is refused: the id names the key, it does not choose any key that fits', async () => {
    const [old] = await codec.encode([secretPayload]);
    const swapped = new AesGcmPayloadCodec(singleKey({ id: key.id, key: randomBytes(32) }));
    await expect(swapped.decode([old!])).rejects.toThrow(/authenticate/);
  });
});

test('payloads that were never encrypted pass through decode unchanged', async () => {
  expect(await codec.decode([secretPayload])).toEqual([secretPayload]);
});

test('the data converter puts failure messages and stack traces into a payload the codec encrypts', async () => {
  const converter = loadDataConverter(encryptingDataConverter(singleKey(key)));
  const failure = converter.failureConverter.errorToFailure(
    ApplicationFailure.nonRetryable('the bucket rejected the access key or secret key', 'BucketCredentials'),
    converter.payloadConverter,
  );
  expect(failure.message).toBe('Encoded failure');
  expect(failure.stackTrace).toBe('');
  const [encrypted] = await codec.encode([failure.encodedAttributes!]);
  expect(bytesOf(encrypted!)).not.toContain('rejected the access key');
  const [decrypted] = await codec.decode([encrypted!]);
  const error = converter.failureConverter.failureToError({ ...failure, encodedAttributes: decrypted }, converter.payloadConverter);
  expect(error.message).toBe('the bucket rejected the access key or secret key');
});

describe('the keys', () => {
  const base64 = () => randomBytes(32).toString('base64');

  test('are required, with a message saying how to make one', () => {
    expect(() => loadCodecKeys({})).toThrow(/THANOS_INSTALLER_CODEC_KEY or THANOS_INSTALLER_CODEC_KEY_FILE.*openssl rand -base64 32/);
  });

  test('one key must be 32 bytes', () => {
    expect(() => loadCodecKeys({ THANOS_INSTALLER_CODEC_KEY: randomBytes(16).toString('base64') })).toThrow(/32 bytes in base64, got 16 bytes/);
  });

  test('one key is read with its id, "default" without one, from the variable or a file', () => {
    const k = randomBytes(32);
    expect(loadCodecKeys({ THANOS_INSTALLER_CODEC_KEY: k.toString('base64'), THANOS_INSTALLER_CODEC_KEY_ID: 'v2' })).toEqual(singleKey({ id: 'v2', key: k }));
    const file = join(mkdtempSync(join(tmpdir(), 'codec-key-')), 'codec.key');
    writeFileSync(file, `${k.toString('base64')}\n`);
    expect(loadCodecKeys({ THANOS_INSTALLER_CODEC_KEY_FILE: file })).toEqual(singleKey({ id: 'default', key: k }));
  });

  test('several keys are read as id=key entries, the current one named by its id', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const entries = `default=${a.toString('base64')}\n2026-12=${b.toString('base64')}\n`;
    const expected = { current: { id: '2026-12', key: b }, byId: new Map([['default', a], ['2026-12', b]]) };
    expect(loadCodecKeys({ THANOS_INSTALLER_CODEC_KEYS: entries.replace('\n', ','), THANOS_INSTALLER_CODEC_KEY_ID: '2026-12' })).toEqual(expected);
    const file = join(mkdtempSync(join(tmpdir(), 'codec-keys-')), 'codec.keys');
    writeFileSync(file, entries);
    expect(loadCodecKeys({ THANOS_INSTALLER_CODEC_KEYS_FILE: file, THANOS_INSTALLER_CODEC_KEY_ID: '2026-12' })).toEqual(expected);
  });

  test('a wrong list is refused naming what is wrong, never the key material', () => {
    const [a, b] = [base64(), base64()];
    const refusal = (env: NodeJS.ProcessEnv) => {
      try {
        loadCodecKeys(env);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ THANOS_INSTALLER_CODEC_KEYS: `a=${a},b=${b}` }, /holds 2 keys: set THANOS_INSTALLER_CODEC_KEY_ID to the id of the one that encrypts new payloads \(one of a, b\)/],
      [{ THANOS_INSTALLER_CODEC_KEYS: `a=${a}`, THANOS_INSTALLER_CODEC_KEY_ID: 'b' }, /THANOS_INSTALLER_CODEC_KEY_ID is 'b', but THANOS_INSTALLER_CODEC_KEYS has no key of that id \(it has a\)/],
      [{ THANOS_INSTALLER_CODEC_KEYS: `a=${a},a=${b}`, THANOS_INSTALLER_CODEC_KEY_ID: 'a' }, /entry 2 repeats the id 'a'/],
      // A key without its id: base64 may end in '=', so the key itself may read as an id (and then an empty key).
      [{ THANOS_INSTALLER_CODEC_KEYS: `a=${a},${b}` }, /entry 2 is not id=key|the id of entry 2 must be|the key of entry 2 must be 32 bytes in base64, got 0 bytes/],
      [{ THANOS_INSTALLER_CODEC_KEYS: `a b=${a}` }, /entry 1 is not id=key/],
      [{ THANOS_INSTALLER_CODEC_KEYS: `a=${a.slice(4)}` }, /the key of entry 1 must be 32 bytes in base64/],
      [{ THANOS_INSTALLER_CODEC_KEYS: ' , ' }, /holds no key/],
      [{ THANOS_INSTALLER_CODEC_KEYS: `a=${a}`, THANOS_INSTALLER_CODEC_KEY: b }, /set either THANOS_INSTALLER_CODEC_KEY\[_FILE\] \(one key\) or THANOS_INSTALLER_CODEC_KEYS\[_FILE\]/],
    ];
    for (const [env, message] of cases) {
      const said = refusal(env);
      expect(said).toMatch(message);
      for (const material of [a, b, a.slice(4), a.slice(0, 40), b.slice(0, 40)]) expect(said).not.toContain(material);
    }
  });
});
