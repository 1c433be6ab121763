import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CodecKey } from './key';

const ENCODING = 'binary/encrypted';
const METADATA_ENCODING = 'encoding';
const METADATA_KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/**
 * Encrypts whole payloads (data and metadata) with AES-256-GCM, so that
 * nothing the installer sends, bucket credentials included, is stored in
 * Temporal in plain text. Payloads are recognised by their encoding, and a
 * payload encrypted under another key id is refused with a clear error.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly codecKey: CodecKey) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.codecKey.key, iv);
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING]: utf8(ENCODING), [METADATA_KEY_ID]: utf8(this.codecKey.id) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = Buffer.from(payload.metadata?.[METADATA_ENCODING] ?? []).toString('utf8');
      if (encoding !== ENCODING) return payload;
      const keyId = Buffer.from(payload.metadata?.[METADATA_KEY_ID] ?? []).toString('utf8');
      if (keyId !== this.codecKey.id) {
        throw new Error(`payload was encrypted with key '${keyId}', but this process has key '${this.codecKey.id}'`);
      }
      const data = Buffer.from(payload.data ?? []);
      const iv = data.subarray(0, IV_BYTES);
      const tag = data.subarray(data.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', this.codecKey.key, iv);
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
