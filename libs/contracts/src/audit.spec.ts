import { AUDIT_GENESIS_HASH, AuditChainWalker, AuditFields, auditHash, AuditRecord, canonicalJson, parseAuditAnchor } from './audit';

/** A correct chain of `n` records, built as the node builds it. */
function chain(n: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prevHash = AUDIT_GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const fields: AuditFields = {
      seq,
      at: new Date(Date.UTC(2026, 10, 27, 21, 0, seq)).toISOString(),
      actor: 'user:admin',
      action: 'POST /api/v1/institutions',
      target: `id-${seq}`,
      outcome: '201',
      details: { method: 'POST', nested: { b: 2, a: [1, 'x'] } },
      prevHash,
    };
    const record = { ...fields, hash: auditHash(fields) };
    records.push(record);
    prevHash = record.hash;
  }
  return records;
}

function walk(records: unknown[], from: 'genesis' | 'anywhere' = 'genesis', head?: { seq: number; hash: string }, anchor?: { seq: number; hash: string }) {
  const walker = new AuditChainWalker(from, anchor);
  for (const r of records) walker.push(r);
  return walker.finish(head);
}

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order, drops undefined members, has no white space', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'é' }], c: true }, u: undefined })).toBe('{"a":{"c":true,"d":[3,{"y":"é","z":null}]},"b":1}');
  });

  it('gives the same text for the same value built in another key order (as jsonb gives it back)', () => {
    expect(canonicalJson({ x: 1, y: { q: 2, p: 3 } })).toBe(canonicalJson(JSON.parse('{"y":{"p":3,"q":2},"x":1}')));
  });

  it('escapes strings as JSON does and refuses values JSON cannot carry', () => {
    expect(canonicalJson('a"b\n\u2028')).toBe(JSON.stringify('a"b\n\u2028'));
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => canonicalJson(10n)).toThrow(TypeError);
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });
});

describe('auditHash', () => {
  const [record] = chain(1);

  it('is SHA-256 hex, stable, and independent of the key order of details', () => {
    expect(record.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(auditHash({ ...record, details: { nested: { a: [1, 'x'], b: 2 }, method: 'POST' } })).toBe(record.hash);
  });

  it('changes when any field changes, prevHash included', () => {
    const changes: Partial<AuditFields>[] = [
      { seq: 2 },
      { at: '2026-11-27T21:00:01.001Z' },
      { actor: 'user:mallory' },
      { action: 'DELETE /x' },
      { target: null },
      { target: 'id-2' },
      { outcome: '200' },
      { details: {} },
      { details: { method: 'POST', nested: { b: 2, a: [1, 'y'] } } },
      { prevHash: 'f'.repeat(64) },
    ];
    for (const change of changes) expect(auditHash({ ...record, ...change })).not.toBe(record.hash);
  });

  it('does not let text move between fields (each is a separate JSON value)', () => {
    expect(auditHash({ ...record, actor: 'user:a', action: 'b' })).not.toBe(auditHash({ ...record, actor: 'user:', action: 'ab' }));
  });
});

describe('AuditChainWalker', () => {
  const good = chain(6);

  it('accepts an intact chain and reports its head', () => {
    expect(walk(good, 'genesis', { seq: 6, hash: good[5].hash })).toEqual({ ok: true, records: 6, last: { seq: 6, hash: good[5].hash } });
    expect(walk([], 'genesis', { seq: 0, hash: AUDIT_GENESIS_HASH })).toMatchObject({ ok: true, records: 0, last: null });
  });

  it('names a changed record', () => {
    const tampered = good.map((r) => (r.seq === 3 ? { ...r, outcome: '403' } : r));
    expect(walk(tampered).firstBad).toMatchObject({ seq: 3, kind: 'changed' });
  });

  it('names a deleted record (a gap), and a deleted run', () => {
    expect(walk(good.filter((r) => r.seq !== 3)).firstBad).toMatchObject({ seq: 3, kind: 'missing' });
    expect(walk(good.filter((r) => r.seq !== 3 && r.seq !== 4)).firstBad).toMatchObject({
      seq: 3,
      kind: 'missing',
      reason: expect.stringContaining('records 3 to 4'),
    });
    expect(walk(good.slice(1)).firstBad).toMatchObject({ seq: 1, kind: 'missing' });
  });

  it('names a forged record whose hash was recomputed: the record after it no longer links', () => {
    const forgedFields: AuditFields = { ...good[2], actor: 'user:mallory', prevHash: good[1].hash };
    const forged = { ...forgedFields, hash: auditHash(forgedFields) };
    expect(walk([good[0], good[1], forged, good[3], good[4]]).firstBad).toMatchObject({ seq: 4, kind: 'broken-link' });
  });

  it('names records out of order and repeated numbers', () => {
    expect(walk([good[0], good[2], good[1]]).firstBad).toMatchObject({ seq: 2, kind: 'missing' });
    expect(walk([good[0], good[1], good[1]]).firstBad).toMatchObject({ seq: 2, kind: 'out-of-order' });
  });

  it('names a chain that does not start at the genesis', () => {
    const fields: AuditFields = { ...good[0], prevHash: 'a'.repeat(64) };
    expect(walk([{ ...fields, hash: auditHash(fields) }]).firstBad).toMatchObject({ seq: 1, kind: 'broken-link' });
  });

  it('checks a range from anywhere: the first record is taken as it is, the rest must link', () => {
    expect(walk(good.slice(2), 'anywhere')).toMatchObject({ ok: true, records: 4 });
    expect(walk([good[2], good[4]], 'anywhere').firstBad).toMatchObject({ seq: 4, kind: 'missing' });
  });

  it('compares the end with the stored head: a cut tail, a record past the head, a replaced end', () => {
    expect(walk(good.slice(0, 4), 'genesis', { seq: 6, hash: good[5].hash }).firstBad).toMatchObject({ seq: 5, kind: 'head-mismatch' });
    expect(walk(good, 'genesis', { seq: 5, hash: good[4].hash }).firstBad).toMatchObject({ seq: 6, kind: 'head-mismatch' });
    expect(walk(good, 'genesis', { seq: 6, hash: 'b'.repeat(64) }).firstBad).toMatchObject({ seq: 6, kind: 'head-mismatch' });
  });

  it('compares with an anchor kept elsewhere: a rewritten record, or a tail cut before it', () => {
    expect(walk(good, 'genesis', undefined, { seq: 4, hash: good[3].hash }).ok).toBe(true);
    expect(walk(good, 'genesis', undefined, { seq: 4, hash: 'c'.repeat(64) }).firstBad).toMatchObject({ seq: 4, kind: 'anchor-mismatch' });
    expect(walk(good.slice(0, 3), 'genesis', undefined, { seq: 4, hash: good[3].hash }).firstBad).toMatchObject({ seq: 4, kind: 'anchor-mismatch' });
  });

  it('refuses a record numbered below 1, naming it, even one hashed and linked as a first record', () => {
    for (const seq of [0, -1]) {
      const fields: AuditFields = {
        seq,
        at: '2026-11-27T20:59:59.000Z',
        actor: 'user:admin',
        action: 'forged',
        target: null,
        outcome: '201',
        details: {},
        prevHash: AUDIT_GENESIS_HASH,
      };
      const forged = { ...fields, hash: auditHash(fields) };
      expect(walk([forged, ...good]).firstBad).toMatchObject({
        seq,
        kind: 'malformed',
        reason: `record ${seq} is not an audit record: seq must be a positive integer`,
      });
      expect(walk([forged, ...good], 'anywhere').firstBad).toMatchObject({ seq, kind: 'malformed' });
    }
  });

  it('names a malformed line and stops at the first break', () => {
    const walker = new AuditChainWalker();
    expect(walker.push(good[0])).toBe(true);
    expect(walker.push({ seq: 'two' }, 'line 2')).toBe(false);
    expect(walker.push(good[1])).toBe(false);
    expect(walker.finish()).toMatchObject({ ok: false, records: 1, firstBad: { seq: 2, kind: 'malformed', reason: expect.stringContaining('line 2') } });
  });
});

describe('parseAuditAnchor', () => {
  it('reads SEQ:HASH and refuses anything else', () => {
    expect(parseAuditAnchor(`12:${'a'.repeat(64)}`)).toEqual({ seq: 12, hash: 'a'.repeat(64) });
    expect(parseAuditAnchor('12:abc')).toBeUndefined();
    expect(parseAuditAnchor(`x:${'a'.repeat(64)}`)).toBeUndefined();
  });
});
