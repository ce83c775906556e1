import {
  encodeEnvelope,
  EnvelopeError,
  generateSigningKey,
  openEnvelope,
  publicKeyFromBase64url,
  sealRecord,
  UnreadableRecordError,
  verifyEnvelope,
} from './envelope';
import { OLDEST_PROTOCOL_VERSION, PROTOCOL_VERSION, protocolVersionVerdict } from './protocol-version';
import { RECORD_KIND_VERSIONS, type ReplicationRecord } from './records';

const join: ReplicationRecord = {
  v: 1,
  kind: 'node.join',
  origin: '330106',
  seq: 1,
  at: '2026-01-01T00:00:00.000Z',
  body: { code: '330106', name: 'Xihu', level: 'county', parent: '330100', publicKey: 'x' },
};

describe('envelope', () => {
  it('round-trips and verifies with the origin key only', () => {
    const key = generateSigningKey();
    const other = generateSigningKey();
    const { envelope, record } = openEnvelope(encodeEnvelope(sealRecord(join, key)));
    expect(record).toEqual(join);
    expect(verifyEnvelope(envelope, publicKeyFromBase64url(key.publicKey))).toBe(true);
    expect(verifyEnvelope(envelope, publicKeyFromBase64url(other.publicKey))).toBe(false);
  });

  it('detects a payload changed after signing', () => {
    const key = generateSigningKey();
    const sealed = sealRecord(join, key);
    const tampered = { ...sealed, payload: sealed.payload.replace('Xihu', 'Xihu!') };
    expect(verifyEnvelope(tampered, publicKeyFromBase64url(key.publicKey))).toBe(false);
  });

  it('refuses malformed envelopes with a reason', () => {
    expect(() => openEnvelope(Buffer.from('nope'))).toThrow(EnvelopeError);
    expect(() => openEnvelope(Buffer.from('{"payload":"{}","sig":""}'))).toThrow('not a replication record of a version this node reads');
    expect(() => publicKeyFromBase64url('short')).toThrow(EnvelopeError);
  });

  /** The envelope of any record, as a release of any version would write it. */
  const wrap = (record: Record<string, unknown>) => encodeEnvelope({ payload: JSON.stringify(record), sig: 'c2ln' });
  const unreadable = (data: Uint8Array) => {
    try {
      openEnvelope(data);
    } catch (error) {
      return error;
    }
    throw new Error('opened');
  };

  it('tells a record of a newer protocol version from a malformed one, keeping the envelope whole to park', () => {
    const newer = { ...join, v: PROTOCOL_VERSION + 1, body: { anything: 'a newer release writes' } };
    const error = unreadable(wrap(newer)) as UnreadableRecordError;
    expect(error).toBeInstanceOf(UnreadableRecordError);
    // Older code catching EnvelopeError still refuses it.
    expect(error).toBeInstanceOf(EnvelopeError);
    expect(error).toMatchObject({
      origin: '330106',
      version: PROTOCOL_VERSION + 1,
      kind: 'node.join',
      envelope: { payload: JSON.stringify(newer), sig: 'c2ln' },
    });
    expect(error.reason).toContain(`protocol version ${PROTOCOL_VERSION + 1}, newer than this node understands`);
  });

  it('tells a record of an unknown kind at a version it reads from a malformed one', () => {
    const error = unreadable(wrap({ ...join, kind: 'entry.merge' })) as UnreadableRecordError;
    expect(error).toBeInstanceOf(UnreadableRecordError);
    expect(error).toMatchObject({
      kind: 'entry.merge',
      version: 1,
      reason: 'the record is of kind "entry.merge", which this node does not know: upgrade this node',
    });
  });

  it('refuses, not parks, what names no origin or no valid version', () => {
    for (const record of [
      { ...join, v: PROTOCOL_VERSION + 1, origin: 'nobody' },
      { ...join, v: '2' },
      { ...join, v: undefined },
      { ...join, v: 0 },
    ]) {
      const error = unreadable(wrap(record));
      expect(error).toBeInstanceOf(EnvelopeError);
      expect(error).not.toBeInstanceOf(UnreadableRecordError);
    }
  });

  it('reads the versions from the oldest supported to its own', () => {
    expect(protocolVersionVerdict(PROTOCOL_VERSION)).toEqual({ kind: 'supported', version: PROTOCOL_VERSION });
    expect(protocolVersionVerdict(OLDEST_PROTOCOL_VERSION)).toEqual({ kind: 'supported', version: OLDEST_PROTOCOL_VERSION });
    expect(protocolVersionVerdict(PROTOCOL_VERSION + 1).kind).toBe('newer');
    expect(protocolVersionVerdict(1.5).kind).toBe('invalid');
    expect(protocolVersionVerdict(Number.MAX_SAFE_INTEGER + 2).kind).toBe('invalid');
    expect(protocolVersionVerdict(-1).kind).toBe('invalid');
  });
});

describe('record kinds and their versions', () => {
  const key = generateSigningKey();
  const state = { origin: '330106', topic: 'quality', key: 'node', version: 1, computedAt: '2026-12-06T00:00:00.000Z', data: {} };
  const record = (v: number) => ({ v, kind: 'supervision.state', origin: '330106', seq: 1, at: '2026-12-06T00:00:00.000Z', body: state });

  it('writes each kind in the version that introduced it, and reads a supervision state only from version 2 on', () => {
    expect(RECORD_KIND_VERSIONS['entry.upsert']).toBe(1);
    expect(RECORD_KIND_VERSIONS['supervision.state']).toBe(2);
    expect(openEnvelope(encodeEnvelope(sealRecord(record(2) as never, key))).record.kind).toBe('supervision.state');
    expect(() => openEnvelope(encodeEnvelope(sealRecord(record(1) as never, key)))).toThrow('not a replication record of a version this node reads');
  });
});
