import { AuditBreak, AuditChainWalker, AuditVerification, parseAuditRecord } from '@tdx/contracts';

/** Where a pruned log now starts: the last pruned record's number and hash, kept by audit_prune. */
export interface PruneAnchor {
  seq: number;
  hash: string;
}

/**
 * Walks a log whose oldest records were pruned: the first remaining record must be the one
 * right after the anchor and point at the anchor's hash; from there the ordinary walker checks
 * every link. The pruned records themselves are proven by their export (`tdx audit verify
 * --file`), whose last record is the anchor.
 */
export class PrunedChainWalker {
  private readonly walker: AuditChainWalker;
  private started = false;
  private broken: AuditBreak | undefined;

  constructor(
    private readonly start: PruneAnchor,
    anchor?: { seq: number; hash: string },
  ) {
    this.walker = new AuditChainWalker('anywhere', anchor);
  }

  push(value: unknown): boolean {
    if (this.broken) return false;
    if (!this.started) {
      this.started = true;
      const first = parseAuditRecord(value);
      if (typeof first !== 'string') {
        if (first.seq !== this.start.seq + 1) {
          return this.fail(
            this.start.seq + 1,
            'missing',
            `the log was pruned through record ${this.start.seq}, but its first record is ${first.seq}: records after the prune were removed`,
          );
        }
        if (first.prevHash !== this.start.hash) {
          return this.fail(
            first.seq,
            'broken-link',
            `record ${first.seq} does not point at record ${this.start.seq}, the last one pruned: the start of the log or its prune anchor was replaced`,
          );
        }
      }
    }
    return this.walker.push(value);
  }

  finish(head: { seq: number; hash: string }): AuditVerification {
    if (this.broken) return { ok: false, records: 0, last: null, firstBad: this.broken };
    // Nothing after the anchor: the head must still be the anchor itself.
    if (!this.started && head.seq === this.start.seq && head.hash === this.start.hash) return { ok: true, records: 0, last: null };
    return this.walker.finish(head);
  }

  private fail(seq: number, kind: AuditBreak['kind'], reason: string): false {
    this.broken = { seq, kind, reason };
    return false;
  }
}
