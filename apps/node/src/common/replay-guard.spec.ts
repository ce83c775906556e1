import { ReplayGuard } from './replay-guard';

describe('ReplayGuard', () => {
  const start = Date.parse('2026-03-01T08:00:00.000Z');
  let now = start;
  const iso = (ms: number) => new Date(ms).toISOString();
  beforeEach(() => {
    now = start;
  });

  it('admits a nonce once, per sender, and refuses it again while it is fresh', () => {
    const guard = new ReplayGuard(120_000, 10, () => now);
    expect(guard.admit('330106', 'n1', iso(now))).toBe('fresh');
    now += 20_000;
    expect(guard.admit('330106', 'n1', iso(start))).toBe('replayed');
    expect(guard.admit('330108', 'n1', iso(start))).toBe('fresh');
  });

  it('refuses a message whose time is beyond the window, either way', () => {
    const guard = new ReplayGuard(120_000, 10, () => now);
    expect(guard.admit('330106', 'a', iso(now - 120_001))).toBe('stale');
    expect(guard.admit('330106', 'b', iso(now + 120_001))).toBe('stale');
    expect(guard.admit('330106', 'c', iso(now - 120_000))).toBe('fresh');
    expect(guard.admit('330106', 'd', 'not a time')).toBe('stale');
    // Once the window has passed, the same signed message is stale, so its nonce can be forgotten.
    now += 130_000;
    expect(guard.admit('330106', 'a2', iso(now))).toBe('fresh');
    expect(guard.size).toBe(1);
  });

  it('refuses rather than forgets when a sender fills its share, and makes room as nonces expire', () => {
    const guard = new ReplayGuard(120_000, 3, () => now);
    for (const n of ['a', 'b', 'c']) expect(guard.admit('330106', n, iso(now))).toBe('fresh');
    expect(guard.admit('330106', 'd', iso(now))).toBe('full');
    expect(guard.admit('330106', 'a', iso(now))).toBe('replayed');
    expect(guard.admit('330100', 'd', iso(now))).toBe('fresh');
    now += 120_001;
    expect(guard.admit('330106', 'd', iso(now))).toBe('fresh');
    expect(guard.size).toBe(2);
  });

  it('sweeps out of order expiries when full', () => {
    const guard = new ReplayGuard(120_000, 3, () => now);
    expect(guard.admit('330106', 'late', iso(now + 60_000))).toBe('fresh');
    expect(guard.admit('330106', 'early1', iso(now - 60_000))).toBe('fresh');
    expect(guard.admit('330106', 'early2', iso(now - 60_000))).toBe('fresh');
    now += 61_000;
    // "late" is still remembered at the front, but the two behind it have expired.
    expect(guard.admit('330106', 'new', iso(now))).toBe('fresh');
    expect(guard.admit('330106', 'late', iso(start + 60_000))).toBe('replayed');
    expect(guard.size).toBe(2);
  });
});
