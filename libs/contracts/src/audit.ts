import { createHash } from 'node:crypto';

/**
 * The audit log's chain, shared by the node that writes it and by `tdx audit verify --file`,
 * which checks an export offline: one definition of the record, its canonical serialisation
 * and the rules of the chain.
 */

/** One record as the node stores, lists and exports it (one NDJSON line of an export). */
export interface AuditRecord {
  seq: number;
  /** ISO 8601 UTC with milliseconds: `2026-11-27T21:00:00.000Z`. */
  at: string;
  /** `user:<name>`, `anonymous`, or `node:<division code>` for an exchange between nodes. */
  actor: string;
  action: string;
  target: string | null;
  /** HTTP status for operator actions (`201`, `422`); a word for exchanges (`applied`, `refused`). */
  outcome: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type AuditFields = Omit<AuditRecord, 'hash'>;

/** The `prevHash` of record 1. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** Version tag inside every hashed text, so a future change of the serialisation cannot collide with this one. */
const HASH_VERSION = 'tdx-audit-1';

/**
 * JSON with object keys sorted (by UTF-16 code units), no white space, `undefined` members left
 * out: the same value always gives the same text, whatever order its keys were built or stored
 * in (PostgreSQL's jsonb reorders them). Refuses what JSON cannot carry faithfully.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
      const keys = Object.keys(value)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
  }
}

/** SHA-256 (hex) over the canonical text of every field of the record but its own hash, `prevHash` included. */
export function auditHash(fields: AuditFields): string {
  const { seq, at, actor, action, target, outcome, details, prevHash } = fields;
  const text = canonicalJson([HASH_VERSION, seq, at, actor, action, target, outcome, details, prevHash]);
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Kinds of break a verification names, for scripts; `reason` says it in words. */
export type AuditBreakKind =
  | 'malformed' // not an audit record at all (an export line, or a row with an impossible value)
  | 'changed' // its fields do not hash to its hash
  | 'missing' // sequence numbers skipped: records were deleted
  | 'out-of-order' // a number repeated or going backwards: records inserted or reordered
  | 'broken-link' // prevHash is not the previous record's hash: a record before it was replaced
  | 'head-mismatch' // the chain does not end where the node's stored head says: tail cut or appended outside the log
  | 'anchor-mismatch'; // a head kept elsewhere earlier is not in the chain

export interface AuditBreak {
  seq: number;
  kind: AuditBreakKind;
  reason: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Records checked. */
  records: number;
  /** The last record checked: the head of what was verified. */
  last: { seq: number; hash: string } | null;
  firstBad?: AuditBreak;
}

const HEX64 = /^[0-9a-f]{64}$/;
// Microseconds are accepted as a shape (PostgreSQL can hold them) and then fail the hash: the node writes milliseconds.
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(\d{3})?Z$/;

/** The record, if `value` has the shape of one; otherwise what is wrong with it. */
export function parseAuditRecord(value: unknown): AuditRecord | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1) return 'seq must be a positive integer';
  if (typeof r.at !== 'string' || !ISO_MS.test(r.at)) return 'at must be an ISO 8601 UTC time with milliseconds';
  for (const name of ['actor', 'action', 'outcome'] as const) if (typeof r[name] !== 'string') return `${name} must be a string`;
  if (r.target !== null && typeof r.target !== 'string') return 'target must be a string or null';
  if (r.details === null || typeof r.details !== 'object' || Array.isArray(r.details)) return 'details must be an object';
  if (typeof r.prevHash !== 'string' || !HEX64.test(r.prevHash)) return 'prevHash must be 64 hex digits';
  if (typeof r.hash !== 'string' || !HEX64.test(r.hash)) return 'hash must be 64 hex digits';
  return {
    seq: r.seq as number,
    at: r.at,
    actor: r.actor as string,
    action: r.action as string,
    target: r.target as string | null,
    outcome: r.outcome as string,
    details: r.details as Record<string, unknown>,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

/**
 * Walks a chain one record at a time (memory stays constant however long it is) and stops at the
 * first break. `from` says where the walk starts: at the genesis (the whole log: the first record
 * must be 1 and point at the genesis hash), or anywhere (an export of a range: the first record's
 * link backwards cannot be checked, everything after it is).
 */
export class AuditChainWalker {
  private records = 0;
  private last: { seq: number; hash: string } | null = null;
  private broken: AuditBreak | undefined;
  private anchorSeen = false;

  /** `anchor`: a head kept outside the node earlier; the chain must still hold that very record. */
  constructor(
    private readonly from: 'genesis' | 'anywhere' = 'genesis',
    private readonly anchor?: { seq: number; hash: string },
  ) {}

  get failed(): boolean {
    return this.broken !== undefined;
  }

  /** Checks the next record; false once the chain is broken (further records are ignored). */
  push(value: AuditRecord | unknown, position?: string): boolean {
    if (this.broken) return false;
    const parsed = parseAuditRecord(value);
    const expectedSeq = this.last ? this.last.seq + 1 : this.from === 'genesis' ? 1 : undefined;
    if (typeof parsed === 'string') {
      // Named by its own number when it has one (a forged record 0 or -1 is named as such).
      const ownSeq = Number.isSafeInteger((value as { seq?: unknown } | null)?.seq) ? (value as { seq: number }).seq : undefined;
      const what = position ?? (ownSeq === undefined ? `the record after ${this.last?.seq ?? 'the start'}` : `record ${ownSeq}`);
      return this.fail(ownSeq ?? expectedSeq ?? 0, 'malformed', `${what} is not an audit record: ${parsed}`);
    }
    if (auditHash(parsed) !== parsed.hash) {
      return this.fail(parsed.seq, 'changed', `record ${parsed.seq} does not match its hash: a field was changed after it was written`);
    }
    if (expectedSeq !== undefined && parsed.seq > expectedSeq) {
      const gap = parsed.seq - 1 === expectedSeq ? `record ${expectedSeq} is` : `records ${expectedSeq} to ${parsed.seq - 1} are`;
      return this.fail(expectedSeq, 'missing', `${gap} missing: ${parsed.seq} follows ${this.last?.seq ?? 'the start of the log'}`);
    }
    if (expectedSeq !== undefined && parsed.seq < expectedSeq) {
      return this.fail(parsed.seq, 'out-of-order', `record ${parsed.seq} comes after ${this.last?.seq ?? 'the start'}: records were inserted or reordered`);
    }
    const expectedPrev = this.last ? this.last.hash : this.from === 'genesis' ? AUDIT_GENESIS_HASH : parsed.prevHash;
    if (parsed.prevHash !== expectedPrev) {
      return this.fail(
        parsed.seq,
        'broken-link',
        this.last
          ? `record ${parsed.seq} does not point at record ${this.last.seq}: a record was inserted, replaced or removed before it`
          : `record ${parsed.seq} does not point at the genesis hash: the start of the log was replaced`,
      );
    }
    if (this.anchor && parsed.seq === this.anchor.seq) {
      if (parsed.hash !== this.anchor.hash) {
        return this.fail(parsed.seq, 'anchor-mismatch', `record ${parsed.seq} is not the one anchored earlier: the log was rewritten from here or before`);
      }
      this.anchorSeen = true;
    }
    this.records += 1;
    this.last = { seq: parsed.seq, hash: parsed.hash };
    return true;
  }

  /**
   * The result. `head` is where the writer says the chain ends (the node's stored head); a
   * chain that ends earlier lost its tail, one that ends later was appended to outside the log.
   */
  finish(head?: { seq: number; hash: string }): AuditVerification {
    if (!this.broken && this.anchor && !this.anchorSeen && (this.last?.seq ?? 0) < this.anchor.seq) {
      const lastSeq = this.last?.seq ?? 0;
      this.broken = {
        seq: lastSeq + 1,
        kind: 'anchor-mismatch',
        reason: `the log ends at record ${lastSeq} but record ${this.anchor.seq} was anchored earlier: records after ${lastSeq} were removed`,
      };
    }
    if (!this.broken && head) {
      const lastSeq = this.last?.seq ?? 0;
      if (lastSeq < head.seq) {
        this.broken = {
          seq: lastSeq + 1,
          kind: 'head-mismatch',
          reason: `the log ends at record ${lastSeq} but its head records ${head.seq}: records after ${lastSeq} were removed`,
        };
      } else if (lastSeq > head.seq) {
        this.broken = { seq: head.seq + 1, kind: 'head-mismatch', reason: `record ${head.seq + 1} lies after the head (${head.seq}): written outside the log` };
      } else if ((this.last?.hash ?? AUDIT_GENESIS_HASH) !== head.hash) {
        this.broken = {
          seq: lastSeq,
          kind: 'head-mismatch',
          reason: `record ${lastSeq} is not the record the head was written for: the end of the log was replaced`,
        };
      }
    }
    return { ok: !this.broken, records: this.records, last: this.last, ...(this.broken ? { firstBad: this.broken } : {}) };
  }

  private fail(seq: number, kind: AuditBreakKind, reason: string): false {
    this.broken = { seq, kind, reason };
    return false;
  }
}

/** `SEQ:HASH`, a head an operator kept outside the node (its log, a ticket, the parent): checked against the chain. */
export function parseAuditAnchor(text: string): { seq: number; hash: string } | undefined {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  return match ? { seq: Number(match[1]), hash: match[2] } : undefined;
}
