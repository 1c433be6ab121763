import { isHostPort, parseQuantity } from '../../src/request/formats';

describe('host[:port], the form S3 endpoints take', () => {
  it.each(['minio', 'minio:9000', 's3.ap-guangzhou.amazonaws.com', '127.0.0.1:9000', '[::1]:9000', '[::1]'])(
    'accepts %s',
    (value) => expect(isHostPort(value)).toBe(true),
  );

  it.each(['', 'http://minio:9000', 'minio:9000/bucket', 'minio:0', 'minio:65536', 'user@minio', 'minio:9000:1', '-minio', '[::1]:x'])(
    'rejects %j',
    (value) => expect(isHostPort(value)).toBe(false),
  );
});

describe('Kubernetes quantities, compared when requests meet limits', () => {
  it.each([
    ['500m', 0.5],
    ['2', 2],
    ['1.5', 1.5],
    ['1k', 1000],
    ['1Ki', 1024],
    ['4Gi', 4 * 2 ** 30],
    ['8G', 8e9],
    ['1e3', 1000],
  ])('reads %s as %d', (text, value) => expect(parseQuantity(text)).toBe(value));

  it.each(['', 'lots', '1 Gi', '-1', '1gi', 'Gi'])('rejects %j', (text) => expect(parseQuantity(text)).toBeUndefined());
});
