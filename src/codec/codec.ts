import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CodecKeys } from './key';

const ENCODING = 'binary/encrypted';
const METADATA_ENCODING = 'encoding';
const METADATA_KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/**
 * Encrypts whole payloads (data and metadata) with AES-256-GCM, so that
 * nothing the installer sends, bucket credentials included, is stored in
 * Temporal in plain text. Payloads are recognised by their encoding, are
 * encrypted with the current key and decrypted with the key whose id they
 * record: after a rotation, payloads written under an older key still
 * decrypt as long as that key stays configured.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys.current;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING]: utf8(ENCODING), [METADATA_KEY_ID]: utf8(id) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = Buffer.from(payload.metadata?.[METADATA_ENCODING] ?? []).toString('utf8');
      if (encoding !== ENCODING) return payload;
      const keyId = Buffer.from(payload.metadata?.[METADATA_KEY_ID] ?? []).toString('utf8');
      const key = this.keys.byId.get(keyId);
      if (!key) {
        throw new Error(
          `a payload was encrypted with the key '${keyId}', which this process does not have (it has ${[...this.keys.byId.keys()].join(', ')}): ` +
            'keep every key that encrypted a running install configured until those installs finish',
        );
      }
      const data = Buffer.from(payload.data ?? []);
      const iv = data.subarray(0, IV_BYTES);
      const tag = data.subarray(data.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
