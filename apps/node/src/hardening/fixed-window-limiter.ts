import type { RateBudget } from '../config/http-hardening.config';

/** The outcome of counting one request. */
export type Hit =
  | { allowed: true; /** Gives the request back, e.g. when it turned out a successful sign-in. */ refund(): void }
  | { allowed: false; retryAfterSeconds: number };

interface Window {
  count: number;
  resetsAt: number;
}

/**
 * Counts requests per key in fixed windows that start at a key's first request. Memory is
 * bounded: keys live in a Map in the order their windows started, which is also the order they
 * expire (every window has the same length), so expired keys are dropped from the front as new
 * requests arrive, and past `maxKeys` the oldest key is forgotten even before it expires.
 * One limiter belongs to one node instance; nodes do not share counts.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly budget: RateBudget,
    private readonly maxKeys: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.windows.size;
  }

  hit(key: string): Hit {
    const now = this.now();
    this.evict(now);
    let window = this.windows.get(key);
    if (!window || window.resetsAt <= now) {
      // Re-inserting moves the key to the back, keeping the Map in expiry order.
      this.windows.delete(key);
      window = { count: 0, resetsAt: now + this.budget.windowSeconds * 1000 };
      this.windows.set(key, window);
    }
    if (window.count >= this.budget.limit) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.resetsAt - now) / 1000)) };
    }
    window.count++;
    const counted = window;
    return {
      allowed: true,
      // Only within the same window: a refund must not lower the next window's count.
      refund: () => {
        if (this.windows.get(key) === counted && counted.count > 0) counted.count--;
      },
    };
  }

  private evict(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.resetsAt > now && this.windows.size < this.maxKeys) break;
      this.windows.delete(key);
    }
  }
}
