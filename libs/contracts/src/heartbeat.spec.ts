import { generateSigningKey, publicKeyFromBase64url } from './envelope';
import { checkHeartbeat, HeartbeatError, readHeartbeat, signHeartbeat } from './heartbeat';

describe('heartbeats', () => {
  const county = generateSigningKey();
  const keys = [publicKeyFromBase64url(county.publicKey)];
  const now = Date.parse('2026-12-05T12:00:00.000Z');
  const base = { from: '330106', to: '330100', at: new Date(now).toISOString(), intervalSeconds: 10, outboxBacklog: 3, oldestQueuedAt: null, pendingJoins: [] };
  const join = { code: '330108', name: '滨江区', publicKey: county.publicKey, waitsAt: '330100', firstSeen: base.at, lastSeen: base.at, attempts: 2 };
  const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  const check = (signed: unknown, expect = { sender: '330106', receiver: '330100', keys }) => checkHeartbeat(readHeartbeat(bytes(signed)), expect, now);
  const kindOf = (action: () => unknown): string => {
    try {
      action();
    } catch (error) {
      if (error instanceof HeartbeatError) return error.kind;
      throw error;
    }
    return 'taken';
  };

  it('takes a heartbeat signed by the sender the subject names, to this node, fresh', () => {
    expect(check(signHeartbeat(base, county))).toMatchObject({ from: '330106', outboxBacklog: 3 });
    const grandchildJoin = { ...join, code: '330106', waitsAt: '330100' };
    expect(
      check(signHeartbeat({ ...base, from: '330100', to: '330000', pendingJoins: [grandchildJoin] }, county), { sender: '330100', receiver: '330000', keys })
        .pendingJoins,
    ).toHaveLength(1);
  });

  it('refuses what is not a well-formed heartbeat, naming no value', () => {
    expect(kindOf(() => check('not json'))).toBe('malformed');
    expect(kindOf(() => check({ payload: '{}', sig: '' }))).toBe('malformed');
    expect(kindOf(() => check(signHeartbeat({ ...base, outboxBacklog: -1 }, county)))).toBe('malformed');
    expect(kindOf(() => check(signHeartbeat({ ...base, extra: 1 } as typeof base, county)))).toBe('malformed');
    // A join that waits at a node that is not its parent.
    expect(kindOf(() => check(signHeartbeat({ ...base, pendingJoins: [{ ...join, waitsAt: '330000' }] }, county)))).toBe('malformed');
    expect(kindOf(() => check(bytes('x'.repeat(200 * 1024))))).toBe('malformed');
  });

  it('refuses one sent as another node, to another node, or reporting joins outside the sender', () => {
    expect(kindOf(() => check(signHeartbeat(base, county), { sender: '330108', receiver: '330100', keys }))).toBe('misaddressed');
    expect(kindOf(() => check(signHeartbeat({ ...base, to: '330200' }, county)))).toBe('misaddressed');
    const elsewhere = { ...join, code: '330212', waitsAt: '330200' };
    expect(kindOf(() => check(signHeartbeat({ ...base, pendingJoins: [elsewhere] }, county)))).toBe('misaddressed');
  });

  it('refuses another key, a changed payload, and a heartbeat signed long ago or ahead of time', () => {
    expect(kindOf(() => check(signHeartbeat(base, generateSigningKey())))).toBe('signature');
    const signed = signHeartbeat(base, county);
    expect(kindOf(() => check({ ...signed, payload: signed.payload.replace('"outboxBacklog":3', '"outboxBacklog":0') }))).toBe('signature');
    expect(kindOf(() => check(signHeartbeat({ ...base, at: new Date(now - 3 * 60_000).toISOString() }, county)))).toBe('stale');
    expect(kindOf(() => check(signHeartbeat({ ...base, at: new Date(now + 3 * 60_000).toISOString() }, county)))).toBe('stale');
  });
});
