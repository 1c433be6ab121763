import { uncompress } from 'snappyjs';
import { encodeWriteRequest, WriteRequest } from '../../src/prometheus/remote-write';

test('a remote-write body is a snappy-compressed WriteRequest with sorted labels and millisecond timestamps', () => {
  const body = encodeWriteRequest([
    { labels: { zone: 'a', __name__: 'canary', cluster: 'c1' }, samples: [{ value: 1.5, timestampMs: 1_796_000_000_123 }] },
  ]);
  const decoded = WriteRequest.toObject(WriteRequest.decode(uncompress(body)), { longs: String });
  expect(decoded).toEqual({
    timeseries: [{
      labels: [{ name: '__name__', value: 'canary' }, { name: 'cluster', value: 'c1' }, { name: 'zone', value: 'a' }],
      samples: [{ value: 1.5, timestamp: '1796000000123' }],
    }],
  });
});
