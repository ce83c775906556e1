import { PROTOCOL_VERSION } from './protocol-version';
import { generateSigningKey, publicKeyFromBase64url } from './envelope';
import {
  CHANNEL_MAX_BYTES,
  ChannelMessage,
  ChannelMessageError,
  newChannelNonce,
  openChannelMessage,
  sealChannelMessage,
  verifyChannelMessage,
} from './channel';

describe('channel messages', () => {
  const key = generateSigningKey();
  const message = (over: Partial<ChannelMessage> = {}): ChannelMessage => ({
    v: 1,
    kind: 'share.query',
    from: '330106',
    to: '330212',
    at: new Date().toISOString(),
    nonce: newChannelNonce(),
    body: { fields: ['uscc'] },
    ...over,
  });

  it("verifies with the signer's key only, and not once a byte changed", () => {
    const { data, sig } = sealChannelMessage(message(), key);
    expect(verifyChannelMessage(data, sig, publicKeyFromBase64url(key.publicKey))).toBe(true);
    expect(verifyChannelMessage(data, sig, publicKeyFromBase64url(generateSigningKey().publicKey))).toBe(false);
    const changed = Buffer.from(data.toString().replace('uscc', 'usce'));
    expect(verifyChannelMessage(changed, sig, publicKeyFromBase64url(key.publicKey))).toBe(false);
    expect(verifyChannelMessage(data, undefined, publicKeyFromBase64url(key.publicKey))).toBe(false);
    expect(verifyChannelMessage(data, '%%%', publicKeyFromBase64url(key.publicKey))).toBe(false);
  });

  it('opens a well-formed message and an answer', () => {
    const m = message({ id: '0b6f6d1e-6a63-4c5e-9a55-2f1f4a0a7e11' });
    expect(openChannelMessage(sealChannelMessage(m, key).data)).toEqual(m);
    const answer = message({
      kind: 'answer',
      re: newChannelNonce(),
      body: { ok: false, refusal: { kind: 'refused', message: 'no', rule: 'r', permanent: true } },
    });
    expect(openChannelMessage(sealChannelMessage(answer, key).data)).toEqual(answer);
  });

  it.each([
    ['not JSON', Buffer.from('{"v":1,'), /not JSON/],
    [
      'a newer version, named as such',
      Buffer.from(JSON.stringify(message({ v: (PROTOCOL_VERSION + 1) as 1 }))),
      new RegExp(`protocol version ${PROTOCOL_VERSION + 1}, newer than this node understands`),
    ],
    ['no version', Buffer.from(JSON.stringify(message({ v: undefined }))), /message\.v/],
    ['a kind that is not a dotted name', Buffer.from(JSON.stringify(message({ kind: 'Share Query' }))), /message\.kind/],
    ['a sender that is no division code', Buffer.from(JSON.stringify(message({ from: '33010' }))), /message\.from/],
    ['a time that is not UTC ISO 8601', Buffer.from(JSON.stringify(message({ at: 'yesterday' }))), /message\.at/],
    ['an unknown field', Buffer.from(JSON.stringify({ ...message(), extra: 1 })), /unknown field/],
    ['an answer without re', Buffer.from(JSON.stringify(message({ kind: 'answer', body: { ok: true, value: 1 } }))), /re/],
    ['an answer of another shape', Buffer.from(JSON.stringify(message({ kind: 'answer', re: newChannelNonce(), body: { ok: 'yes' } }))), /ok must be/],
    ['a message too large', Buffer.alloc(CHANNEL_MAX_BYTES + 1, 32), /larger than/],
  ])('refuses %s, naming the problem', (_what, data, problem) => {
    expect(() => openChannelMessage(data)).toThrow(ChannelMessageError);
    expect(() => openChannelMessage(data)).toThrow(problem);
  });
});
