import { ConcurrencyLimiter, Semaphore } from './concurrency';

describe('ConcurrencyLimiter', () => {
  it("refuses a key past its own share first (key-full), and anyone past the node's (node-full)", () => {
    const limiter = new ConcurrencyLimiter({ perNode: 3, perInstitution: 2 });
    const a1 = limiter.tryAcquire('a');
    const a2 = limiter.tryAcquire('a');
    expect(limiter.tryAcquire('a')).toBe('key-full');
    const b1 = limiter.tryAcquire('b');
    expect([typeof a1, typeof a2, typeof b1]).toEqual(['function', 'function', 'function']);
    expect(limiter.tryAcquire('c')).toBe('node-full');
    expect(limiter.tryAcquire('a')).toBe('key-full');
    expect(limiter.inProgress).toBe(3);
  });

  it('gives a slot back once, however often release is called', () => {
    const limiter = new ConcurrencyLimiter({ perNode: 2, perInstitution: 2 });
    const first = limiter.tryAcquire('a');
    if (typeof first !== 'function') throw new Error('refused');
    limiter.tryAcquire('b');
    first();
    first();
    expect(limiter.inProgress).toBe(1);
    expect(typeof limiter.tryAcquire('a')).toBe('function');
    expect(limiter.tryAcquire('c')).toBe('node-full');
  });
});

describe('Semaphore', () => {
  it('runs at most `permits` at once and the waiters in arrival order, also after a failure', async () => {
    const semaphore = new Semaphore(2);
    const events: string[] = [];
    let running = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    const job = (name: string, fail = false) =>
      semaphore.run(async () => {
        running++;
        most = Math.max(most, running);
        events.push(name);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        if (fail) throw new Error(name);
      });
    const jobs = [job('a', true), job('b'), job('c'), job('d')].map((p) => p.catch((e: Error) => `failed ${e.message}`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['a', 'b']);
    while (gates.length > 0) {
      gates.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(jobs)).toEqual(['failed a', undefined, undefined, undefined]);
    expect(events).toEqual(['a', 'b', 'c', 'd']);
    expect(most).toBe(2);
  });
});
