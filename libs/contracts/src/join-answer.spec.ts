import { generateSigningKey, publicKeyFromBase64url } from './envelope';
import { JoinAnswerError, newNonce, openJoinAnswer, signJoinAnswer } from './join-answer';
import { keyFingerprint, TrustList, trustListSuccessionProblem } from './trust';

describe('join answers', () => {
  const parent = generateSigningKey();
  const keys = [publicKeyFromBase64url(parent.publicKey)];
  const nonce = newNonce();
  const welcome = { ok: true as const, parent: { code: '330100', name: '杭州市', publicKey: parent.publicKey } };
  const open = (signed: unknown, expect = { from: '330100', to: '330106', nonce }, now?: number) =>
    openJoinAnswer(Buffer.from(JSON.stringify(signed)), keys, expect, now);

  it("opens the parent's signed answer to this join", () => {
    expect(open(signJoinAnswer('330100', '330106', nonce, welcome, parent))).toEqual(welcome);
  });

  it('refuses an answer that is unsigned, signed by another key, or tampered with', () => {
    expect(() => open(welcome)).toThrow(JoinAnswerError);
    expect(() => open(signJoinAnswer('330100', '330106', nonce, welcome, generateSigningKey()))).toThrow(/signature of 330100/);
    const signed = signJoinAnswer('330100', '330106', nonce, welcome, parent);
    expect(() => open({ ...signed, payload: signed.payload.replace('"ok":true', '"ok":false') })).toThrow(/signature/);
  });

  it('refuses a genuine answer to another join, another node, or one replayed later', () => {
    expect(() => open(signJoinAnswer('330100', '330106', newNonce(), welcome, parent))).toThrow(/nonce/);
    expect(() => open(signJoinAnswer('330100', '330108', nonce, welcome, parent))).toThrow(/addressed/);
    expect(() => open(signJoinAnswer('330100', '330106', nonce, welcome, parent), undefined, Date.now() + 3 * 60_000)).toThrow(/stale/);
  });
});

describe('trust list succession', () => {
  const at = Date.parse('2026-12-05T08:00:00Z');
  const list = (version: number, issuedAt: number, validity = 86_400_000): TrustList => ({
    v: 1,
    issuer: '330000',
    version,
    issuedAt: new Date(issuedAt).toISOString(),
    expiresAt: new Date(issuedAt + validity).toISOString(),
    nodes: [],
  });

  it('takes a list issued later, whatever its version, and refuses an older or equal one', () => {
    expect(trustListSuccessionProblem(list(2, at), list(1, at - 1000), at)).toBeUndefined();
    // A list with an absurd version cannot hold the next genuine list off: issue time orders them.
    expect(trustListSuccessionProblem(list(3, at + 1000), list(1_000_000_000, at), at + 1000)).toBeUndefined();
    expect(trustListSuccessionProblem(list(1_000_000_000, at - 1000), list(3, at), at)).toMatch(/not newer/);
    expect(trustListSuccessionProblem(list(3, at), list(3, at), at)).toMatch(/not newer/);
  });

  it('refuses a list from the future or with an impossible validity', () => {
    expect(trustListSuccessionProblem(list(5, at + 3600_000), undefined, at)).toMatch(/future/);
    expect(trustListSuccessionProblem(list(5, at, 365 * 86_400_000), undefined, at)).toMatch(/validity/);
    expect(trustListSuccessionProblem(list(5, at, -1), undefined, at)).toMatch(/validity/);
  });

  it('shows a key as a fingerprint operators can compare', () => {
    const key = generateSigningKey().publicKey;
    expect(keyFingerprint(key)).toMatch(/^([0-9a-f]{4}:){7}[0-9a-f]{4}$/);
    expect(keyFingerprint(key)).toBe(keyFingerprint(key));
    expect(keyFingerprint(generateSigningKey().publicKey)).not.toBe(keyFingerprint(key));
  });
});
