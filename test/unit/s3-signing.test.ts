import { signV2, signV4, stringToSignV2, type S3Request } from '../../src/s3/signing';

const base: S3Request = {
  method: 'GET',
  protocol: 'https:',
  host: 'awsexamplebucket1.s3.us-west-1.amazonaws.com',
  path: '/photos/puppy.jpg',
  query: {},
  resource: { bucket: 'awsexamplebucket1', key: 'photos/puppy.jpg' },
  headers: { date: 'Tue, 27 Mar 2007 19:36:42 +0000' },
  body: Buffer.alloc(0),
};

describe('AWS Signature V2', () => {
  test('matches the GET example of the S3 REST authentication documentation', () => {
    const signed = signV2(base, {
      accessKey: 'AKIAIOSFODNN7EXAMPLE',
      secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    });
    expect(signed.headers.authorization).toBe('AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=');
  });

  test('canonical resource includes the bucket also for virtual-hosted addressing, and sub-resources only', () => {
    const text = stringToSignV2({ ...base, query: { acl: '', prefix: 'x', versionId: '3' } });
    expect(text.split('\n').pop()).toBe('/awsexamplebucket1/photos/puppy.jpg?acl&versionId=3');
  });

  test('x-amz- headers are lower-cased, sorted and signed; other headers are not', () => {
    const text = stringToSignV2({
      ...base,
      method: 'PUT',
      headers: { ...base.headers, 'X-Amz-Meta-B': ' two ', 'x-amz-meta-a': 'one', 'content-type': 'text/plain', 'user-agent': 'x' },
    });
    expect(text).toBe(
      'PUT\n\ntext/plain\nTue, 27 Mar 2007 19:36:42 +0000\nx-amz-meta-a:one\nx-amz-meta-b:two\n/awsexamplebucket1/photos/puppy.jpg',
    );
  });
});

describe('temporary credentials (STS)', () => {
  const credentials = { accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'the-session-token' };

  test('Signature V2 sends the session token and signs it', () => {
    const signed = signV2(base, credentials);
    expect(signed.headers['x-amz-security-token']).toBe('the-session-token');
    expect(signed.headers.authorization).not.toBe(signV2(base, { ...credentials, sessionToken: 'another-token' }).headers.authorization);
  });

  test('Signature V4 sends the session token and lists it among the signed headers', async () => {
    const signed = await signV4({ ...base, protocol: 'http:' }, credentials, 'us-east-1');
    expect(signed.headers['x-amz-security-token']).toBe('the-session-token');
    expect(signed.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-security-token/);
  });
});
