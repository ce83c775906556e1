import type { ConcurrencyBudget } from '../config/http-hardening.config';

/** Why a limiter refused: the asker's own share is used up, or the whole node's. */
export type Refusal = 'key-full' | 'node-full';

/**
 * Counts work in progress per key (an institution, or an account without one) and in total, and
 * refuses work past either budget instead of queueing it: a queue would hold the asker's
 * connection and memory while it waits, which is what the limit is there to bound.
 * One limiter belongs to one node instance.
 */
export class ConcurrencyLimiter {
  private readonly perKey = new Map<string, number>();
  private total = 0;

  constructor(private readonly budget: ConcurrencyBudget) {}

  get inProgress(): number {
    return this.total;
  }

  /** A release function (call it exactly once, when the work ends), or why not. */
  tryAcquire(key: string): (() => void) | Refusal {
    const mine = this.perKey.get(key) ?? 0;
    if (mine >= this.budget.perInstitution) return 'key-full';
    if (this.total >= this.budget.perNode) return 'node-full';
    this.perKey.set(key, mine + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perKey.get(key) ?? 1) - 1;
      if (left === 0) this.perKey.delete(key);
      else this.perKey.set(key, left);
    };
  }
}

/**
 * At most `permits` holders at once; the others wait in arrival order. Used for database
 * connections taken by bulk work, whose number of waiters is already bounded by the limiters
 * in front of it.
 */
export class Semaphore {
  private readonly waiting: (() => void)[] = [];

  constructor(private permits: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.permits > 0) {
      this.permits--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    // The permit passes straight to the next waiter, so a newcomer cannot overtake it.
    if (next) next();
    else this.permits++;
  }
}
