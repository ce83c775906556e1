import { generateSigningKey, publicKeyFromBase64url } from './envelope';
import { inReturnJurisdiction, openReturnMessage, returnJurisdiction, ReturnMessage, sealReturnMessage, sha256Hex, verifyReturnMessage } from './returns';

const pull: ReturnMessage = {
  v: 1, kind: 'return.pull', from: '330106', to: '330000', at: '2026-01-01T00:00:00.000Z',
  body: { requestId: 'r', after: 0, upto: 10, tombstonesAfter: 0 },
};

describe('return messages', () => {
  it('round-trip with an attachment and verify with the sender key only', () => {
    const key = generateSigningKey();
    const rows = 'k1\t330106\t1\t{"a": "x\\\\ny"}\n';
    const chunk: ReturnMessage = { ...pull, kind: 'return.chunk', body: { requestId: 'r', after: 0, upto: 10, through: 10, rows: 1, sha256: sha256Hex(rows) } };
    const { data, sig } = sealReturnMessage(chunk, key, Buffer.from(rows));
    const opened = openReturnMessage(data);
    expect(opened.message).toEqual(chunk);
    expect(opened.attachment?.toString('utf8')).toBe(rows);
    expect(verifyReturnMessage(data, sig, publicKeyFromBase64url(key.publicKey))).toBe(true);
    expect(verifyReturnMessage(data, sig, publicKeyFromBase64url(generateSigningKey().publicKey))).toBe(false);
    expect(verifyReturnMessage(data, undefined, publicKeyFromBase64url(key.publicKey))).toBe(false);
    const tampered = Buffer.from(data.toString('utf8').replace('330106', '330108'));
    expect(verifyReturnMessage(tampered, sig, publicKeyFromBase64url(key.publicKey))).toBe(false);
  });

  it('binds the attachment through the signed header: changed rows no longer match the signed sha256', () => {
    const key = generateSigningKey();
    const rows = 'k1\t330106\t1\t{"a":1}\n';
    const chunk: ReturnMessage = { ...pull, kind: 'return.chunk', body: { requestId: 'r', after: 0, upto: 10, through: 10, rows: 1, sha256: sha256Hex(rows) } };
    const { data, sig } = sealReturnMessage(chunk, key, Buffer.from(rows));
    const swapped = Buffer.from(data.toString('utf8').replace('{"a":1}', '{"a":2}'));
    expect(verifyReturnMessage(swapped, sig, publicKeyFromBase64url(key.publicKey))).toBe(true);
    const opened = openReturnMessage(swapped);
    expect(sha256Hex(opened.attachment as Buffer)).not.toBe((opened.message.body as { sha256: string }).sha256);
  });

  it('carries an attachment on a chunk only', () => {
    const key = generateSigningKey();
    expect(() => sealReturnMessage(pull, key, Buffer.from('x'))).toThrow('only a chunk');
    expect(() => openReturnMessage(Buffer.from(`${JSON.stringify(pull)}\nk1\t330106\t1\t{}\n`))).toThrow('only a chunk');
  });

  it('refuses malformed messages', () => {
    expect(() => openReturnMessage(Buffer.from('nope'))).toThrow('not JSON');
    expect(() => openReturnMessage(Buffer.from(JSON.stringify({ ...pull, kind: 'entry.upsert' })))).toThrow('not a version-1 return message');
    expect(() => openReturnMessage(Buffer.from(JSON.stringify({ ...pull, from: 'x' })))).toThrow('not a version-1 return message');
  });

  it('maps a requester and scope to its jurisdiction', () => {
    expect(returnJurisdiction('330106', 'self')).toEqual({ exact: '330106' });
    expect(returnJurisdiction('330100', 'self')).toEqual({ exact: '330100' });
    expect(returnJurisdiction('330100', 'subtree')).toEqual({ prefix: '3301' });
    expect(() => returnJurisdiction('330000', 'self')).toThrow();
    expect(inReturnJurisdiction('330106', '330100', 'subtree')).toBe(true);
    expect(inReturnJurisdiction('330106', '330100', 'self')).toBe(false);
    expect(inReturnJurisdiction('330212', '330100', 'subtree')).toBe(false);
    expect(inReturnJurisdiction('330108', '330106', 'self')).toBe(false);
  });
});
