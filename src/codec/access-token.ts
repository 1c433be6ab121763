import { constants, createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

/** What an access token must say about itself to be accepted. */
export interface AccessTokenExpectations {
  /** The identity provider's issuer URL (`iss`). */
  issuer?: string;
  /** The audience the token must name (`aud`): the Web UI's client id at the identity provider. */
  audience?: string;
}

/** A JSON Web Key as a JWKS lists it. */
export type Jwk = JsonWebKey & { kid?: string; kty?: string; use?: string; alg?: string };

/** How each signature algorithm verifies; symmetric ones and `none` are refused. */
const ALGORITHMS: Record<string, { kty: string; hash: string | null; options?: object }> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } },
  PS384: { kty: 'RSA', hash: 'sha384', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } },
  PS512: { kty: 'RSA', hash: 'sha512', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } },
  ES256: { kty: 'EC', hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { kty: 'EC', hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  ES512: { kty: 'EC', hash: 'sha512', options: { dsaEncoding: 'ieee-p1363' } },
  EdDSA: { kty: 'OKP', hash: null },
};

/** Clocks of the identity provider and of this host may differ this much. */
const CLOCK_SKEW_SECONDS = 60;

export class AccessTokenError extends Error {}

function part(segment: string | undefined, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new AccessTokenError(`the token's ${what} is not a JSON object`);
}

/** The key id a token's header names, so that the caller can refresh its key set when no key has it. */
function keyIdOf(token: string): string | undefined {
  const kid = part(token.split('.')[0], 'header').kid;
  return typeof kid === 'string' ? kid : undefined;
}

/**
 * Verifies a signed JWT access token (compact JWS) against an identity
 * provider's public keys: the signature by the key its header names, an
 * asymmetric algorithm matching that key, the expiry and not-before times,
 * and the issuer and audience when expected. Returns the claims; throws an
 * AccessTokenError saying what is wrong otherwise.
 */
export function verifyAccessToken(token: string, keys: Jwk[], expect: AccessTokenExpectations, nowSeconds = Date.now() / 1000): Record<string, unknown> {
  const segments = token.split('.');
  if (segments.length !== 3) throw new AccessTokenError('the token is not a signed JWT (three dot-separated parts)');
  const header = part(segments[0], 'header');
  const claims = part(segments[1], 'payload');
  const algorithm = typeof header.alg === 'string' ? ALGORITHMS[header.alg] : undefined;
  if (!algorithm) throw new AccessTokenError(`the token's algorithm '${String(header.alg)}' is not accepted (${Object.keys(ALGORITHMS).join(', ')})`);
  const candidates = keys.filter((k) => (header.kid === undefined || k.kid === header.kid) && k.kty === algorithm.kty && k.use !== 'enc' && (!k.alg || k.alg === header.alg));
  if (candidates.length === 0) throw new AccessTokenError(`no key of the identity provider matches the token (kid '${String(header.kid)}', ${String(header.alg)})`);
  const signed = Buffer.from(`${segments[0]}.${segments[1]}`);
  const signature = Buffer.from(segments[2] ?? '', 'base64url');
  const valid = candidates.some((jwk) => {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      return false;
    }
    return verify(algorithm.hash, signed, { key, ...algorithm.options }, signature);
  });
  if (!valid) throw new AccessTokenError('the token\'s signature does not verify');
  if (typeof claims.exp !== 'number') throw new AccessTokenError('the token has no expiry (exp)');
  if (claims.exp + CLOCK_SKEW_SECONDS <= nowSeconds) throw new AccessTokenError('the token has expired');
  if (typeof claims.nbf === 'number' && claims.nbf - CLOCK_SKEW_SECONDS > nowSeconds) throw new AccessTokenError('the token is not valid yet');
  if (expect.issuer !== undefined && claims.iss !== expect.issuer) throw new AccessTokenError(`the token was issued by '${String(claims.iss)}', not '${expect.issuer}'`);
  if (expect.audience !== undefined) {
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(expect.audience)) throw new AccessTokenError(`the token is not meant for '${expect.audience}'`);
  }
  return claims;
}

/** How often at most the key set is fetched again for a key id it does not have. */
const REFRESH_INTERVAL_MS = 30_000;

/**
 * Verifies access tokens against the key set the identity provider publishes
 * (its `jwks_uri`), fetched on first use and again when a token names a key
 * the set lacks (the provider rotated its keys), at most every 30 s.
 */
export class RemoteKeySetVerifier {
  private keys: Jwk[] = [];
  private fetchedAt = 0;

  constructor(private readonly jwksUrl: string, private readonly expect: AccessTokenExpectations) {}

  async verify(token: string): Promise<Record<string, unknown>> {
    const kid = keyIdOf(token);
    const known = this.keys.some((k) => kid === undefined || k.kid === kid);
    if ((!known || this.fetchedAt === 0) && Date.now() - this.fetchedAt >= REFRESH_INTERVAL_MS) await this.refresh();
    return verifyAccessToken(token, this.keys, this.expect);
  }

  private async refresh(): Promise<void> {
    this.fetchedAt = Date.now();
    const response = await fetch(this.jwksUrl, { signal: AbortSignal.timeout(10_000) }).catch((err: Error) => {
      throw new Error(`cannot fetch the identity provider's keys from ${this.jwksUrl}: ${err.message}`);
    });
    if (!response.ok) throw new Error(`cannot fetch the identity provider's keys from ${this.jwksUrl}: HTTP ${response.status}`);
    const body = (await response.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error(`${this.jwksUrl} is not a JSON Web Key Set (no "keys" array)`);
    this.keys = body.keys as Jwk[];
  }
}
