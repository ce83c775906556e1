import { createHmac, timingSafeEqual } from 'node:crypto';

/** The claims of a tdx access token: a JWT (RFC 7519) signed with HS256 by the node that issued it. */
export interface AccessClaims {
  /** Account id. */
  sub: string;
  /** User name, for logs and `GET /auth/me`; roles are read from the database on every request. */
  name: string;
  /** Issuer and audience: `tdx:<node code>`, so a token of one node is refused by every other. */
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  /** The sign-in (refresh-token family) the token belongs to: signing out ends it at once. */
  sid: string;
  typ: 'access';
}

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function signature(input: string, secret: Buffer): Buffer {
  return createHmac('sha256', secret).update(input).digest();
}

export function signAccessToken(claims: AccessClaims, secret: Buffer): string {
  const input = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${signature(input, secret).toString('base64url')}`;
}

/**
 * The claims of a token this node issued and that is still valid at `nowSeconds`, else undefined.
 * Only the exact header this node writes is accepted: no `alg` negotiation (no `none`, no RS/HS confusion).
 */
export function verifyAccessToken(token: string, secret: Buffer, issuer: string, nowSeconds: number): AccessClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== HEADER || token.length > 4096) return undefined;
  // Compared as text, so only the one canonical base64url spelling of the signature passes: Node's
  // decoder also takes padding, `+/` and stray bits, which would give one token many accepted forms.
  const expected = Buffer.from(signature(`${parts[0]}.${parts[1]}`, secret).toString('base64url'));
  const given = Buffer.from(parts[2]);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const payload = canonicalBase64url(parts[1]);
  if (!payload) return undefined;
  let claims: Partial<AccessClaims>;
  try {
    claims = JSON.parse(payload.toString('utf8')) as Partial<AccessClaims>;
  } catch {
    return undefined;
  }
  const valid =
    claims.typ === 'access' &&
    claims.iss === issuer &&
    claims.aud === issuer &&
    typeof claims.sub === 'string' &&
    typeof claims.sid === 'string' &&
    typeof claims.exp === 'number' &&
    typeof claims.iat === 'number' &&
    claims.exp > nowSeconds;
  return valid ? (claims as AccessClaims) : undefined;
}

/** The bytes `text` encodes, if it is their canonical base64url spelling (no padding, no `+/`, no stray bits). */
function canonicalBase64url(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
