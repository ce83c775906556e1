import { FixedWindowLimiter } from './fixed-window-limiter';

/** A limiter on a clock the test moves. */
function limiter(limit: number, windowSeconds: number, maxKeys = 1000) {
  const clock = { now: 0 };
  return { clock, limiter: new FixedWindowLimiter({ limit, windowSeconds }, maxKeys, () => clock.now) };
}

describe('FixedWindowLimiter', () => {
  it('allows the limit, then refuses with the seconds left in the window', () => {
    const { clock, limiter: l } = limiter(3, 60);
    expect([1, 2, 3].map(() => l.hit('a').allowed)).toEqual([true, true, true]);
    clock.now = 20_500;
    expect(l.hit('a')).toEqual({ allowed: false, retryAfterSeconds: 40 });
    expect(l.hit('b').allowed).toBe(true);
  });

  it('starts a new window when the old one has passed', () => {
    const { clock, limiter: l } = limiter(1, 10);
    expect(l.hit('a').allowed).toBe(true);
    expect(l.hit('a').allowed).toBe(false);
    clock.now = 10_000;
    expect(l.hit('a').allowed).toBe(true);
  });

  it('gives a refunded request back, but only within its own window', () => {
    const { clock, limiter: l } = limiter(2, 10);
    const first = l.hit('a');
    l.hit('a');
    if (!first.allowed) throw new Error('first hit refused');
    first.refund();
    expect(l.hit('a').allowed).toBe(true);
    expect(l.hit('a').allowed).toBe(false);

    const old = l.hit('b');
    clock.now = 10_000;
    l.hit('b');
    l.hit('b');
    if (old.allowed) old.refund();
    expect(l.hit('b').allowed).toBe(false);
  });

  it('forgets expired keys as requests arrive, and never holds more than maxKeys', () => {
    const { clock, limiter: l } = limiter(1, 10, 100);
    for (let i = 0; i < 50; i++) l.hit(`old-${i}`);
    clock.now = 10_000;
    l.hit('new');
    expect(l.size).toBe(1);
    for (let i = 0; i < 1000; i++) l.hit(`flood-${i}`);
    expect(l.size).toBe(100);
    // The most recent keys are still counted.
    expect(l.hit('flood-999').allowed).toBe(false);
  });
});
