import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ShareEntrySummary, ShareHistoryEvent, ShareSide, ShareState, ShareView } from '@tdx/contracts';
import { queryReturning } from '../common/returning';

/** One end's row of a share request: what both ends show (less `overdue`, derived at read time), and its place in this node's order. */
export interface ShareRow extends Omit<ShareView, 'overdue'> {
  rowSeq: number;
}

/** States a request can still leave. */
export const OPEN_SHARE_STATES: readonly ShareState[] = ['requested', 'approved', 'granted'];
const OPEN_SQL = `('requested', 'approved', 'granted')`;

const COLUMNS = `id, side, entry_id AS "entryId", provider, consumer, consumer_institution AS "consumerInstitution", items, regions,
  purpose, expires_at AS "expiresAt", state, reason, rule, deadline, history, entry, created_at AS "createdAt",
  updated_at AS "updatedAt", row_seq AS "rowSeq"`;

export interface ShareListFilter {
  side?: ShareSide;
  state?: ShareState;
  overdueAt?: Date;
  /** Institution staff: requests their institutions made, or about entries their institutions provide. */
  institutions?: string[];
  afterSeq: number;
  limit: number;
}

/** Table share_request: each request at both ends, its state, scope and history. */
@Injectable()
export class ShareRequestRepository {
  /** False when this end holds the request already (a message delivered again). */
  async insert(manager: EntityManager, r: Omit<ShareRow, 'rowSeq'>): Promise<boolean> {
    const rows = await queryReturning<{ id: string }>(
      manager,
      `INSERT INTO share_request (id, side, entry_id, provider, consumer, consumer_institution, items, regions, purpose, expires_at,
         state, reason, rule, deadline, history, entry, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
       ON CONFLICT (id, side) DO NOTHING RETURNING id`,
      [
        r.id,
        r.side,
        r.entryId,
        r.provider,
        r.consumer,
        r.consumerInstitution,
        JSON.stringify(r.items),
        JSON.stringify(r.regions),
        r.purpose,
        r.expiresAt,
        r.state,
        r.reason,
        r.rule,
        r.deadline,
        JSON.stringify(r.history),
        JSON.stringify(r.entry),
        r.createdAt,
        r.updatedAt,
      ],
    );
    return rows.length === 1;
  }

  async find(manager: EntityManager, id: string, side: ShareSide, forUpdate = false): Promise<ShareRow | undefined> {
    const rows = await manager.query(`SELECT ${COLUMNS} FROM share_request WHERE id = $1 AND side = $2${forUpdate ? ' FOR UPDATE' : ''}`, [id, side]);
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** Both ends' rows of `id` held here (two when a node asked for its own entry). */
  async findAny(manager: EntityManager, id: string): Promise<ShareRow[]> {
    const rows = await manager.query(`SELECT ${COLUMNS} FROM share_request WHERE id = $1 ORDER BY side`, [id]);
    return rows.map(toRow);
  }

  /**
   * Moves the request to `state` with `events` appended, unless it is final already (a final state
   * is never left, whatever arrives later). Returns whether it moved.
   */
  async transition(
    manager: EntityManager,
    id: string,
    side: ShareSide,
    change: { state: ShareState; reason?: string | null; rule?: string | null; expiresAt?: string; deadline?: string | null; events: ShareHistoryEvent[] },
  ): Promise<boolean> {
    const at = change.events[change.events.length - 1]?.at ?? new Date().toISOString();
    const rows = await queryReturning(
      manager,
      `UPDATE share_request SET state = $3, reason = COALESCE($4, reason), rule = COALESCE($5, rule), expires_at = COALESCE($6, expires_at),
         deadline = CASE WHEN $8::boolean THEN $7::timestamptz ELSE deadline END, history = history || $9::jsonb, updated_at = $10
       WHERE id = $1 AND side = $2 AND state IN ${OPEN_SQL} RETURNING id`,
      [
        id,
        side,
        change.state,
        change.reason ?? null,
        change.rule ?? null,
        change.expiresAt ?? null,
        change.deadline ?? null,
        change.deadline !== undefined,
        JSON.stringify(change.events),
        at,
      ],
    );
    return rows.length === 1;
  }

  /** Open requests whose expiry has passed, at `now`: the sweep marks them expired. */
  async expiredOpen(manager: EntityManager, now: Date): Promise<{ id: string; side: ShareSide }[]> {
    return manager.query(`SELECT id, side FROM share_request WHERE state IN ${OPEN_SQL} AND expires_at <= $1 ORDER BY row_seq LIMIT 1000`, [now]);
  }

  async list(manager: EntityManager, f: ShareListFilter): Promise<ShareRow[]> {
    const rows = await manager.query(
      `SELECT ${COLUMNS} FROM share_request
       WHERE row_seq > $1 AND ($2::text IS NULL OR side = $2) AND ($3::text IS NULL OR state = $3)
         AND ($4::timestamptz IS NULL OR (state = 'requested' AND deadline < $4))
         AND ($5::uuid[] IS NULL OR (side = 'consumer' AND consumer_institution = ANY($5)) OR (side = 'provider' AND (entry->>'providerId')::uuid = ANY($5)))
       ORDER BY row_seq LIMIT $6`,
      [f.afterSeq, f.side ?? null, f.state ?? null, f.overdueAt ?? null, f.institutions ?? null, f.limit],
    );
    return rows.map(toRow);
  }

  /** Requests for an institution's entries (provider side) still undecided past their deadline at `now` (Article 12 (d): its sharing record). */
  async overdueForProvider(manager: EntityManager, providerId: string, now: Date): Promise<number> {
    const rows: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM share_request WHERE side = 'provider' AND state = 'requested' AND deadline < $1 AND (entry->>'providerId')::uuid = $2`,
      [now, providerId],
    );
    return rows[0]?.n ?? 0;
  }

  /** Requests still waiting for a decision past their deadline, by side: the overdue gauge. */
  async overdueCounts(manager: EntityManager, now: Date): Promise<{ side: ShareSide; n: number }[]> {
    const rows: { side: ShareSide; n: string }[] = await manager.query(
      `SELECT side, count(*) AS n FROM share_request WHERE state = 'requested' AND deadline < $1 GROUP BY side`,
      [now],
    );
    return rows.map((r) => ({ side: r.side, n: Number(r.n) }));
  }
}

function iso(value: unknown): string {
  return new Date(value as string).toISOString();
}

function toRow(r: Record<string, unknown>): ShareRow {
  return {
    id: String(r.id),
    side: r.side as ShareSide,
    entryId: String(r.entryId),
    provider: String(r.provider).trim(),
    consumer: String(r.consumer).trim(),
    consumerInstitution: (r.consumerInstitution as string | null) ?? null,
    items: r.items as string[],
    regions: r.regions as string[],
    purpose: String(r.purpose),
    expiresAt: iso(r.expiresAt),
    state: r.state as ShareState,
    reason: (r.reason as string | null) ?? null,
    rule: (r.rule as string | null) ?? null,
    deadline: r.deadline ? iso(r.deadline) : null,
    history: r.history as ShareHistoryEvent[],
    entry: r.entry as ShareEntrySummary,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    rowSeq: Number(r.rowSeq),
  };
}
