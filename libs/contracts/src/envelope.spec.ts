import { encodeEnvelope, EnvelopeError, generateSigningKey, openEnvelope, publicKeyFromBase64url, sealRecord, verifyEnvelope } from './envelope';
import type { ReplicationRecord } from './records';

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
    expect(() => openEnvelope(Buffer.from('{"payload":"{}","sig":""}'))).toThrow('not a version-1 replication record');
    expect(() => publicKeyFromBase64url('short')).toThrow(EnvelopeError);
  });
});
