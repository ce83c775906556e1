/**
 * - `fresh`: first time seen and on time: handle it.
 * - `stale`: its time is more than the window away from this clock, either way.
 * - `replayed`: this sender's nonce was seen within the window.
 * - `full`: the sender has more messages in the window than the guard remembers; refused rather
 *   than forgetting a nonce (which would let its message be replayed). Worth retrying later.
 */
export type Admission = 'fresh' | 'stale' | 'replayed' | 'full';

interface SenderNonces {
  /** nonce → when its message turns stale (its `at` + the window), in insertion order. */
  expiries: Map<string, number>;
  /** No remembered nonce expires before this: a sweep of a full map frees nothing earlier. */
  sweepAt: number;
}

/**
 * Refuses a signed request message that is stale or seen before. Each message carries its
 * sender's time and a random nonce under the signature; a nonce is remembered until the message
 * would be stale anyway, so the memory per sender is bounded by what it sends in a window and
 * capped at `perSender`. Call `admit` only once the signature has been verified, so that no one
 * else can use up a sender's nonces, and senders are only ever the nodes whose keys are trusted.
 */
export class ReplayGuard {
  private readonly senders = new Map<string, SenderNonces>();

  constructor(
    private readonly windowMs: number,
    private readonly perSender: number,
    private readonly now: () => number = Date.now,
  ) {}

  admit(sender: string, nonce: string, at: string): Admission {
    const now = this.now();
    if (!(Math.abs(now - Date.parse(at)) <= this.windowMs)) return 'stale';
    let nonces = this.senders.get(sender);
    if (!nonces) {
      nonces = { expiries: new Map(), sweepAt: Infinity };
      this.senders.set(sender, nonces);
    }
    const { expiries } = nonces;
    if (expiries.has(nonce)) return 'replayed';
    // Messages arrive roughly in time order, so the expired ones are mostly at the front.
    for (const [old, expiry] of expiries) {
      if (expiry >= now) break;
      expiries.delete(old);
    }
    if (expiries.size >= this.perSender && !this.sweep(nonces, now)) return 'full';
    const expiry = Date.parse(at) + this.windowMs;
    expiries.set(nonce, expiry);
    nonces.sweepAt = Math.min(nonces.sweepAt, expiry);
    return 'fresh';
  }

  /** How many nonces are remembered, over all senders. */
  get size(): number {
    let total = 0;
    for (const { expiries } of this.senders.values()) total += expiries.size;
    return total;
  }

  /** Forgets every expired nonce of a full sender; whether there is room now. */
  private sweep(nonces: SenderNonces, now: number): boolean {
    if (now < nonces.sweepAt) return false;
    let earliest = Infinity;
    for (const [nonce, expiry] of nonces.expiries) {
      if (expiry < now) nonces.expiries.delete(nonce);
      else earliest = Math.min(earliest, expiry);
    }
    nonces.sweepAt = earliest;
    return nonces.expiries.size < this.perSender;
  }
}
