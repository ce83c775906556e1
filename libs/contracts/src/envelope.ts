import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import { isDivisionCode } from '@tdx/divisions';
import { RECORD_KIND_VERSIONS, RECORD_KINDS, RecordKind, ReplicationRecord } from './records';
import { protocolVersionVerdict } from './protocol-version';

/**
 * What travels on the wire: the record as the exact JSON text its origin signed, and the
 * Ed25519 signature over those bytes. Forwarders pass both on unchanged, so every ancestor
 * verifies the origin's own signature.
 */
export interface Envelope {
  payload: string;
  sig: string;
}

export class EnvelopeError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'EnvelopeError';
  }
}

/**
 * A well-formed envelope from a named origin whose record this release cannot read: a newer
 * protocol version, or a kind it does not know. Its signature is not checked yet; a receiver that
 * verifies it parks the envelope (keeps it whole, to read again once upgraded) instead of applying
 * or dropping it. Older releases see only an EnvelopeError, so catching that still refuses it.
 */
export class UnreadableRecordError extends EnvelopeError {
  constructor(
    reason: string,
    readonly envelope: Envelope,
    readonly origin: string,
    readonly version: number,
    readonly kind: string,
  ) {
    super(reason);
    this.name = 'UnreadableRecordError';
  }
}

export interface SigningKey {
  privateKey: KeyObject;
  /** base64url of the raw 32-byte public key. */
  publicKey: string;
}

export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signingKeyFromPem(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
}

export function signingKeyFromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new EnvelopeError('the signing key is not an Ed25519 key');
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { privateKey, publicKey: String(jwk.x) };
}

export function signingKeyToPem(key: SigningKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function publicKeyFromBase64url(x: string): KeyObject {
  if (!/^[A-Za-z0-9_-]{43}$/.test(x)) throw new EnvelopeError('a public key must be 32 bytes in base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

export function sealRecord(record: ReplicationRecord, key: SigningKey): Envelope {
  const payload = JSON.stringify(record);
  return { payload, sig: sign(null, Buffer.from(payload), key.privateKey).toString('base64') };
}

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return Buffer.from(JSON.stringify(envelope));
}

/** Parses the wire bytes into an envelope and its record, checking shape but not the signature. */
export function openEnvelope(data: Uint8Array): { envelope: Envelope; record: ReplicationRecord } {
  let envelope: unknown;
  try {
    envelope = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    throw new EnvelopeError('envelope is not JSON');
  }
  if (!isObject(envelope) || typeof envelope.payload !== 'string' || typeof envelope.sig !== 'string') {
    throw new EnvelopeError('envelope lacks payload or signature');
  }
  let record: unknown;
  try {
    record = JSON.parse(envelope.payload);
  } catch {
    throw new EnvelopeError('payload is not JSON');
  }
  if (isObject(record)) unreadable({ payload: envelope.payload, sig: envelope.sig }, record);
  if (
    !isObject(record) ||
    !RECORD_KINDS.includes(record.kind as never) ||
    // A kind exists from the version that introduced it on (the version is checked above as one this release reads).
    typeof record.v !== 'number' ||
    record.v < RECORD_KIND_VERSIONS[record.kind as RecordKind] ||
    !isDivisionCode(record.origin) ||
    !Number.isSafeInteger(record.seq) ||
    typeof record.at !== 'string' ||
    !isObject(record.body)
  ) {
    throw new EnvelopeError('payload is not a replication record of a version this node reads');
  }
  return { envelope: { payload: envelope.payload, sig: envelope.sig }, record: record as unknown as ReplicationRecord };
}

export function verifyEnvelope(envelope: Envelope, publicKey: KeyObject): boolean {
  try {
    return verify(null, Buffer.from(envelope.payload), publicKey, Buffer.from(envelope.sig, 'base64'));
  } catch {
    return false;
  }
}

/**
 * Throws UnreadableRecordError for a record this release cannot read but may after an upgrade; a
 * retired version is refused outright. Only `v`, `kind` and `origin` are read: every version keeps
 * them where they are, so any release can attribute and verify a record of any later one.
 */
function unreadable(envelope: Envelope, record: Record<string, unknown>): void {
  const verdict = protocolVersionVerdict(record.v, 'the record');
  if (verdict.kind === 'retired') throw new EnvelopeError(verdict.reason);
  if (verdict.kind === 'invalid' || !isDivisionCode(record.origin)) return;
  const kind = typeof record.kind === 'string' ? record.kind.slice(0, 64) : '';
  if (verdict.kind === 'newer') throw new UnreadableRecordError(verdict.reason, envelope, record.origin, verdict.version, kind);
  if (!RECORD_KINDS.includes(kind as never)) {
    throw new UnreadableRecordError(
      `the record is of kind "${kind}", which this node does not know: upgrade this node`,
      envelope,
      record.origin,
      verdict.version,
      kind,
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
