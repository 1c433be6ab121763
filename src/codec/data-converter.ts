import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './codec';
import type { CodecKeys } from './key';

/** The data converter every installer client and worker uses: payloads and failure messages encrypted at rest. */
export function encryptingDataConverter(keys: CodecKeys): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)], failureConverterPath: require.resolve('./failure-converter') };
}
