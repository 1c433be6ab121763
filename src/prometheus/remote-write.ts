/**
 * Prometheus remote-write 1.0 requests: a `prometheus.WriteRequest` protobuf
 * message, compressed with snappy's block format. protobufjs encodes it from
 * the message definitions below (the fields of Prometheus's remote.proto and
 * types.proto that a sample needs); snappyjs compresses it.
 */
import { Root, type Type } from 'protobufjs';
import { compress } from 'snappyjs';

const definitions = {
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
          },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
      },
    },
  },
};

/** The protobuf type of a remote-write request's body (before compression). */
export const WriteRequest: Type = Root.fromJSON(definitions).lookupType('prometheus.WriteRequest');

export interface Series {
  /** Labels, `__name__` included. */
  labels: Record<string, string>;
  samples: { value: number; timestampMs: number }[];
}

/** The headers a remote-write 1.0 receiver expects with the body. */
export const REMOTE_WRITE_HEADERS = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
};

/** The body of a remote-write request carrying these series (labels sorted by name, as receivers require). */
export function encodeWriteRequest(series: Series[]): Uint8Array {
  const message = WriteRequest.fromObject({
    timeseries: series.map((s) => ({
      labels: Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value })),
      samples: s.samples.map((sample) => ({ value: sample.value, timestamp: sample.timestampMs })),
    })),
  });
  return compress(WriteRequest.encode(message).finish());
}
