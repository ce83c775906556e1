import { PROTOCOL_VERSION, supportedRange } from './protocol-version';
import { generateSigningKey, publicKeyFromBase64url } from './envelope';
import {
  inReturnJurisdiction,
  newReturnNonce,
  openReturnMessage,
  RETURN_TEXT_MAX,
  returnJurisdiction,
  ReturnMessage,
  ReturnMessageError,
  sealReturnMessage,
  sha256Hex,
  verifyReturnMessage,
} from './returns';

const requestId = '0f8e2c1a-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const nonce = newReturnNonce();
const pull: ReturnMessage = {
  v: 1,
  kind: 'return.pull',
  from: '330106',
  to: '330000',
  at: '2026-01-01T00:00:00.000Z',
  nonce,
  body: { requestId, after: 0, upto: 10, tombstonesAfter: 0 },
};

describe('return messages', () => {
  it('round-trip with an attachment and verify with the sender key only', () => {
    const key = generateSigningKey();
    const rows = 'k1\t330106\t1\t{"a": "x\\\\ny"}\n';
    const chunk: ReturnMessage = {
      ...pull,
      kind: 'return.chunk',
      body: { requestId, after: 0, upto: 10, through: 10, rows: 1, sha256: sha256Hex(rows) },
      re: nonce,
    };
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
    const chunk: ReturnMessage = {
      ...pull,
      kind: 'return.chunk',
      body: { requestId, after: 0, upto: 10, through: 10, rows: 1, sha256: sha256Hex(rows) },
      re: nonce,
    };
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
    expect(() => openReturnMessage(Buffer.from(JSON.stringify({ ...pull, kind: 'entry.upsert' })))).toThrow('message.kind must be one of');
    expect(() => openReturnMessage(Buffer.from(JSON.stringify({ ...pull, from: 'x' })))).toThrow('message.from must be a division code');
    expect(() => openReturnMessage(Buffer.from(JSON.stringify({ ...pull, nonce: undefined })))).toThrow('message.nonce must be');
    expect(() => openReturnMessage(Buffer.from(JSON.stringify({ ...pull, at: 'yesterday' })))).toThrow('message.at must be an ISO 8601');
    expect(() => openReturnMessage(Buffer.from(JSON.stringify({ ...pull, extra: 1 })))).toThrow('unknown field "extra"');

    // A newer version is named as such, with the sender and nonce kept for a signed answer the asker can act on.
    const newer = (() => {
      try {
        openReturnMessage(Buffer.from(JSON.stringify({ ...pull, v: PROTOCOL_VERSION + 1, body: { changed: true } })));
      } catch (error) {
        return error as ReturnMessageError;
      }
    })();
    expect(newer).toBeInstanceOf(ReturnMessageError);
    expect(newer).toMatchObject({
      reason: `the return message is of protocol version ${PROTOCOL_VERSION + 1}, newer than this node understands (${supportedRange()}): upgrade this node`,
      from: '330106',
      nonce,
    });
  });

  /** Each body, one field wrong at a time: the problem is named, the value never quoted, and the header kept for the answer. */
  it.each([
    ['return.request', { id: 'nope', entryId: requestId, scope: 'self', purpose: 'p' }, 'body.id must be a string of 36 characters'],
    ['return.request', { id: requestId, entryId: requestId, scope: 'everything', purpose: 'p' }, 'body.scope must be one of self, subtree'],
    [
      'return.request',
      { id: requestId, entryId: requestId, scope: 'self', purpose: 'x'.repeat(RETURN_TEXT_MAX + 1) },
      'body.purpose must be a string of 1 to 2000',
    ],
    ['return.request', { id: requestId, entryId: requestId, scope: 'self', purpose: { a: 1 } }, 'body.purpose must be a string'],
    ['return.request', { id: requestId, entryId: requestId, scope: 'self', purpose: '  ' }, 'body.purpose must be not blank'],
    ['return.request', null, 'body must be an object'],
    ['return.status', { id: requestId, more: 1 }, 'body has an unknown field "more"'],
    ['return.plan', { requestId, after: -1, tombstonesAfter: null }, 'body.after must be an integer'],
    ['return.pull', { requestId, after: 10, upto: 10, tombstonesAfter: 0 }, 'after must be below upto'],
    ['return.pull', { requestId, after: 1.5, upto: 10, tombstonesAfter: 0 }, 'body.after must be an integer'],
    ['return.ranges', { requestId, after: 5, head: 9, tombstonesAfter: 0, total: 1, bounds: [9, 7] }, 'bounds must ascend'],
    ['return.chunk', { requestId, after: 0, upto: 10, through: 11, rows: 0, sha256: 'ab' }, 'body.sha256 must be'],
    ['return.error', { kind: 'ok', message: 'fine', permanent: false }, 'body.kind must be one of invalid, forbidden'],
    ['return.error', { status: 403, error: 'Forbidden', message: 'no', permanent: false }, 'body has an unknown field "status"'],
  ])('refuses a %s body that does not fit its schema', (kind, body, problem) => {
    const data = Buffer.from(JSON.stringify({ ...pull, kind, body }));
    expect(() => openReturnMessage(data)).toThrow(problem);
    try {
      openReturnMessage(data);
    } catch (error) {
      expect(error).toBeInstanceOf(ReturnMessageError);
      expect(error).toMatchObject({ from: '330106', nonce });
      expect((error as Error).message.length).toBeLessThan(200);
    }
  });

  it('makes a new 16-byte nonce for every message', () => {
    const nonces = new Set(Array.from({ length: 100 }, () => newReturnNonce()));
    expect(nonces.size).toBe(100);
    for (const n of nonces) expect(Buffer.from(n, 'base64url')).toHaveLength(16);
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

  it('checks every request of a subtree page against the request schema, and the ended states', () => {
    const key = generateSigningKey();
    const state = {
      id: requestId,
      entryId: requestId,
      holder: '330000',
      requester: '330106',
      scope: 'self',
      purpose: 'supervision',
      state: 'revoked',
      reason: 'purpose lapsed',
      history: [{ at: '2026-01-01T00:00:00.000Z', state: 'revoked', by: '330000', note: 'purpose lapsed' }],
      entry: { name: 'Register', grade: 'L2', shareType: 'unconditional', updateCycle: 'daily', dataItems: [] },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    const page = (items: unknown[]) =>
      sealReturnMessage({ ...pull, from: '330000', to: '330100', kind: 'return.requests', body: { items, nextCursor: '42' } } as ReturnMessage, key).data;
    expect(openReturnMessage(page([state, { ...state, state: 'ended' }, { ...state, state: 'withdrawn' }])).message.body).toMatchObject({ nextCursor: '42' });
    expect(() => openReturnMessage(page([state, { ...state, state: 'cancelled' }]))).toThrow(/body\.items\.1\.state must be one of/);
    expect(() => openReturnMessage(page([{ ...state, lastCheckedAt: null }]))).toThrow(/unknown field "lastCheckedAt"/);
    expect(() => openReturnMessage(page(Array.from({ length: 101 }, () => state)))).toThrow(/at most 100 items/);
  });
});
