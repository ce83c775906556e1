import { createHash, KeyObject, sign, verify } from 'node:crypto';
import { isDivisionCode } from '@tdx/divisions';
import type { SigningKey } from './envelope';

/**
 * The trust list: the province's signed statement of which key each node of the
 * federation signs with. It flows down the tree (each node fetches it from its parent), and every
 * node verifies what other nodes sign against it: a node missing from the list, or a list past its
 * expiry, is not trusted (fail closed). See docs/protocol.md, "Node identity".
 */
export interface TrustList {
  v: 1;
  /** The province that issued and signed it. */
  issuer: string;
  /** Increases with every issue; a node keeps the highest it has verified. */
  version: number;
  issuedAt: string;
  /** After this instant the list is not trusted, and nothing it vouches for is accepted. */
  expiresAt: string;
  nodes: TrustedNode[];
}

export interface TrustedNode {
  code: string;
  /** Null for the province. */
  parent: string | null;
  name: string;
  publicKey: string;
  /** After a rotation: the key before it, still accepted for what was signed with it before the rotation. */
  previousPublicKey?: string;
}

/** On the wire and in the database: the list's exact bytes as text, and the issuer's signature over them. */
export interface SignedTrustList {
  payload: string;
  sig: string;
}

export class TrustListError extends Error {}

export function signTrustList(list: TrustList, key: SigningKey): SignedTrustList {
  const payload = JSON.stringify(list);
  return { payload, sig: sign(null, Buffer.from(payload), key.privateKey).toString('base64') };
}

/**
 * Verifies a signed list against the province's key and checks its shape; the caller decides
 * about its expiry (an expired list is still the newest one has, to be shown, but not trusted).
 */
export function openTrustList(signed: unknown, provinceKey: KeyObject, province: string): TrustList {
  const s = signed as SignedTrustList;
  if (typeof s !== 'object' || s === null || typeof s.payload !== 'string' || typeof s.sig !== 'string') {
    throw new TrustListError('not a signed trust list');
  }
  let valid = false;
  try {
    valid = verify(null, Buffer.from(s.payload), provinceKey, Buffer.from(s.sig, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) throw new TrustListError(`the trust list does not carry the signature of province ${province}`);
  let list: TrustList;
  try {
    list = JSON.parse(s.payload) as TrustList;
  } catch {
    throw new TrustListError('the trust list is not JSON');
  }
  if (
    list.v !== 1 ||
    list.issuer !== province ||
    !Number.isSafeInteger(list.version) ||
    list.version < 1 ||
    Number.isNaN(Date.parse(list.issuedAt)) ||
    Number.isNaN(Date.parse(list.expiresAt)) ||
    !Array.isArray(list.nodes) ||
    !list.nodes.every((n) => isDivisionCode(n.code) && typeof n.publicKey === 'string' && (n.parent === null || isDivisionCode(n.parent)))
  ) {
    throw new TrustListError('the trust list is malformed');
  }
  return list;
}

/** What a node's old key signs to hand over to its new one. */
export function rotationStatement(code: string, newPublicKey: string): Buffer {
  return Buffer.from(`tdx-key-rotation:${code}:${newPublicKey}`);
}

export function signRotation(code: string, newPublicKey: string, oldKey: SigningKey): { publicKey: string; sig: string } {
  return { publicKey: oldKey.publicKey, sig: sign(null, rotationStatement(code, newPublicKey), oldKey.privateKey).toString('base64') };
}

/** Whether `rotatedFrom` is `oldKey`'s signature handing `code` over to `newPublicKey`. */
export function verifyRotation(code: string, newPublicKey: string, rotatedFrom: { publicKey: string; sig: string }, oldKey: KeyObject): boolean {
  try {
    return verify(null, rotationStatement(code, newPublicKey), oldKey, Buffer.from(rotatedFrom.sig, 'base64'));
  } catch {
    return false;
  }
}

/** The province above any division code: its first two digits. */
export function provinceOf(code: string): string {
  return `${code.slice(0, 2)}0000`;
}

/**
 * A short, comparable form of a public key for people: the first 16 bytes of the SHA-256 of the raw
 * key, in hex, in groups of four. Operators compare it by eye or over the phone (the trust anchor,
 * a candidate's key), never the 43-character key itself.
 */
export function keyFingerprint(publicKey: string): string {
  const raw = Buffer.from(publicKey, 'base64url');
  const hex = createHash('sha256').update(raw).digest('hex').slice(0, 32);
  return hex.match(/.{4}/g)!.join(':');
}

/** A list claiming to be issued later than this after the receiver's clock is refused. */
export const TRUST_LIST_MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** The longest validity a province may give a list (TRUST_LIST_TTL's maximum). */
export const TRUST_LIST_MAX_VALIDITY_MS = 30 * 24 * 3600_000;

/**
 * Whether a verified list may replace `current`: why not, or undefined. Lists are ordered by their
 * issue time, then version, and a list cannot claim to come from the future: so no list, even one
 * the province signed by mistake with an absurd version, can put itself permanently out of reach
 * of the province's next genuine list.
 */
export function trustListSuccessionProblem(list: TrustList, current: TrustList | undefined, now = Date.now()): string | undefined {
  const issued = Date.parse(list.issuedAt);
  const expires = Date.parse(list.expiresAt);
  if (issued > now + TRUST_LIST_MAX_CLOCK_SKEW_MS) return `trust list version ${list.version} claims to be issued at ${list.issuedAt}, in the future`;
  if (expires <= issued || expires - issued > TRUST_LIST_MAX_VALIDITY_MS) return `trust list version ${list.version} has an impossible validity`;
  if (!current) return undefined;
  const currentIssued = Date.parse(current.issuedAt);
  if (issued < currentIssued || (issued === currentIssued && list.version <= current.version)) {
    return `trust list version ${list.version} (issued ${list.issuedAt}) is not newer than version ${current.version} (issued ${current.issuedAt})`;
  }
  return undefined;
}
