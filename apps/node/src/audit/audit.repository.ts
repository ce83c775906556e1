import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuditRecord } from '@tdx/contracts';

export interface AuditHead {
  seq: number;
  hash: string;
}

export interface AuditFilter {
  from?: Date;
  to?: Date;
  actor?: string;
  /** Exact action, or a prefix when it ends with `*`. */
  action?: string;
  target?: string;
  outcome?: string;
  afterSeq?: number;
  beforeSeq?: number;
  order: 'asc' | 'desc';
  limit: number;
}

interface AuditRow {
  seq: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

// Ordered by `audit_record.seq`: a bare `seq` would name the text column below and sort 10 before 2.
// `at` as text with microseconds: the node writes milliseconds, so a value changed below the
// millisecond is read as it is stored (and fails its hash) instead of being rounded back by Date.
const COLUMNS = `seq::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at, actor, action, target, outcome, details, prev_hash, hash`;

/** All SQL of the audit log. */
@Injectable()
export class AuditRepository {
  /** Locks the head until the transaction ends: the caller appends next, and nobody else can meanwhile. */
  async lockHead(manager: EntityManager): Promise<AuditHead> {
    const [row] = (await manager.query(`SELECT seq::text, hash FROM audit_head WHERE id = 1 FOR UPDATE`)) as { seq: string; hash: string }[];
    return { seq: Number(row.seq), hash: row.hash };
  }

  async head(manager: EntityManager): Promise<AuditHead> {
    const [row] = (await manager.query(`SELECT seq::text, hash FROM audit_head WHERE id = 1`)) as { seq: string; hash: string }[];
    return { seq: Number(row.seq), hash: row.hash };
  }

  /** One statement for the lot; the insert trigger checks, row by row, that each continues the chain. */
  async insert(manager: EntityManager, records: AuditRecord[]): Promise<void> {
    const params: unknown[] = [];
    const rows = records.map((r) => {
      params.push(r.seq, r.at, r.actor, r.action, r.target, r.outcome, JSON.stringify(r.details), r.prevHash, r.hash);
      const n = params.length - 9;
      return `(${Array.from({ length: 9 }, (_, i) => `$${n + i + 1}`).join(', ')})`;
    });
    await manager.query(`INSERT INTO audit_record (seq, at, actor, action, target, outcome, details, prev_hash, hash) VALUES ${rows.join(', ')}`, params);
  }

  async list(manager: EntityManager, f: AuditFilter): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.from) add('at >= ?', f.from);
    if (f.to) add('at < ?', f.to);
    if (f.actor !== undefined) add('actor = ?', f.actor);
    if (f.action !== undefined) {
      if (f.action.endsWith('*')) add(`starts_with(action, ?)`, f.action.slice(0, -1));
      else add('action = ?', f.action);
    }
    if (f.target !== undefined) add('target = ?', f.target);
    if (f.outcome !== undefined) add('outcome = ?', f.outcome);
    if (f.afterSeq !== undefined) add('seq > ?', f.afterSeq);
    if (f.beforeSeq !== undefined) add('seq < ?', f.beforeSeq);
    params.push(f.limit);
    const rows = (await manager.query(
      `SELECT ${COLUMNS} FROM audit_record ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_record.seq ${f.order === 'asc' ? 'ASC' : 'DESC'} LIMIT $${params.length}`,
      params,
    )) as AuditRow[];
    return rows.map(toRecord);
  }

  /**
   * The records after `afterSeq` (null: from the very first, whatever its number) up to `toSeq`, in
   * order, at most `limit`: one batch of a walk.
   */
  async range(manager: EntityManager, afterSeq: number | null, toSeq: number, limit: number): Promise<AuditRecord[]> {
    const rows = (await manager.query(
      `SELECT ${COLUMNS} FROM audit_record WHERE ($1::bigint IS NULL OR seq > $1) AND seq <= $2 ORDER BY audit_record.seq LIMIT $3`,
      [afterSeq, toSeq, limit],
    )) as AuditRow[];
    return rows.map(toRecord);
  }

  /** The contiguous run of sequence numbers written in [from, to): what an export of that time range holds. */
  async seqSpan(manager: EntityManager, from: Date | undefined, to: Date | undefined): Promise<{ first: number; last: number } | undefined> {
    const [row] = (await manager.query(
      `SELECT min(seq)::text AS first, max(seq)::text AS last FROM audit_record WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2)`,
      [from ?? null, to ?? null],
    )) as { first: string | null; last: string | null }[];
    return row.first === null || row.last === null ? undefined : { first: Number(row.first), last: Number(row.last) };
  }

  /** The newest prune anchor: where the remaining log starts, when its oldest records were pruned. */
  async pruneAnchor(manager: EntityManager): Promise<{ seq: number; hash: string } | undefined> {
    const [row] = (await manager.query(`SELECT seq::text, hash FROM audit_prune_anchor ORDER BY seq DESC LIMIT 1`)) as { seq: string; hash: string }[];
    return row && { seq: Number(row.seq), hash: row.hash };
  }

  /** Deletes the records through `through` behind an anchor (audit_prune); the number deleted. */
  async prune(manager: EntityManager, through: number): Promise<number> {
    const [row] = (await manager.query(`SELECT audit_prune($1)::text AS deleted`, [through])) as { deleted: string }[];
    return Number(row.deleted);
  }

  /** The lowest sequence number present (0 for an empty log). */
  async minSeq(manager: EntityManager): Promise<number> {
    const [row] = (await manager.query(`SELECT coalesce(min(seq), 0)::text AS min FROM audit_record`)) as { min: string }[];
    return Number(row.min);
  }

  /** The highest sequence number present, whatever the head says (a verification compares the two). */
  async maxSeq(manager: EntityManager): Promise<number> {
    const [row] = (await manager.query(`SELECT coalesce(max(seq), 0)::text AS max FROM audit_record`)) as { max: string }[];
    return Number(row.max);
  }
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    seq: Number(row.seq),
    at: `${row.at.endsWith('000') ? row.at.slice(0, -3) : row.at}Z`,
    actor: row.actor,
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
