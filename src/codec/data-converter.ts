import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './codec';
import type { CodecKey } from './key';

/** The data converter every installer client and worker uses: payloads encrypted at rest. */
export function encryptingDataConverter(key: CodecKey): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(key)] };
}
