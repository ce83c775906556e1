import { sleep } from './sleep';

/*
 * Our own rather than a library's: the loops that retry here run until the node stops, and each
 * waits in its own way (a plain timer, a wait that shutdown ends within 200 ms, a wait that a
 * wake-up signal cuts short). The retry libraries that load in our CommonJS build on Node 20
 * (exponential-backoff 3, cockatiel 3) wait on a timer of their own that neither can end;
 * p-retry is ESM-only and cockatiel 4 needs Node 22.
 */

/** Delays that start at `initialMs` and double up to `maxMs`; `reset()` after a success starts over. */
export class Backoff {
  private current: number;

  constructor(
    private readonly maxMs: number,
    private readonly initialMs = 250,
  ) {
    this.current = initialMs;
  }

  /** The delay to wait now; the one after it is twice as long, up to the cap. */
  next(): number {
    const delay = this.current;
    this.current = Math.min(delay * 2, this.maxMs);
    return delay;
  }

  reset(): void {
    this.current = this.initialMs;
  }
}

export interface RetryOptions {
  /** The longest wait between two attempts. */
  maxMs: number;
  /** The first wait (doubled after every further failure). */
  initialMs?: number;
  /** Checked before every attempt: false ends the retrying (the node is stopping). */
  running: () => boolean;
  /** Each failure while running, with the wait before the next attempt; awaited before that wait. */
  onError: (error: Error, delayMs: number) => void | Promise<void>;
  /** A failure that must not be retried: thrown on to the caller at once. */
  permanent?: (error: unknown) => boolean;
  /** How to wait between attempts; by default a plain timer. */
  wait?: (ms: number) => Promise<void>;
}

/**
 * Runs `attempt` until it succeeds, forever, waiting longer after each failure (see `Backoff`).
 * Returns its result, or undefined once `running()` turns false; a failure seen after that is
 * not reported.
 */
export async function retryWithBackoff<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T | undefined> {
  const backoff = new Backoff(options.maxMs, options.initialMs);
  const wait = options.wait ?? sleep;
  while (options.running()) {
    try {
      return await attempt();
    } catch (error) {
      if (!options.running()) return undefined;
      if (options.permanent?.(error)) throw error;
      const delay = backoff.next();
      await options.onError(error instanceof Error ? error : new Error(String(error)), delay);
      await wait(delay);
    }
  }
  return undefined;
}
