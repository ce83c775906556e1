import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { queryReturning } from '../common/returning';
import type { ReturnDirection, ReturnEntrySummary, ReturnHistoryEvent, ReturnRequestState, ReturnRequestView, ReturnScope, ReturnState } from '@tdx/contracts';

export type Direction = ReturnDirection;
export interface RequestRow extends ReturnRequestState {
  direction: Direction;
  localEvents: ReturnHistoryEvent[];
  appliedSeq: number;
  rowsSent: number;
  rowSeq: number;
}

const REQUEST_COLUMNS = `id, direction, entry_id AS "entryId", holder, requester, scope, purpose, state, reason, history,
  local_events AS "localEvents", entry, applied_seq AS "appliedSeq", rows_sent AS "rowsSent", created_at AS "createdAt",
  updated_at AS "updatedAt", row_seq AS "rowSeq"`;

/** Table return_request: each request at both ends (outgoing at the requester, incoming at the holder), its state and history. */
@Injectable()
export class ReturnRequestRepository {
  async insertRequest(manager: EntityManager, direction: Direction, s: ReturnRequestState): Promise<boolean> {
    const rows = await queryReturning<{ id: string }>(
      manager,
      `INSERT INTO return_request (id, direction, entry_id, holder, requester, scope, purpose, state, reason, history, entry, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [
        s.id,
        direction,
        s.entryId,
        s.holder,
        s.requester,
        s.scope,
        s.purpose,
        s.state,
        s.reason,
        JSON.stringify(s.history),
        JSON.stringify(s.entry),
        s.createdAt,
        s.updatedAt,
      ],
    );
    return rows.length === 1;
  }

  /** At the requester: takes over the holder's view of the request. Returns the state held before. */
  async mirror(manager: EntityManager, s: ReturnRequestState): Promise<ReturnState | undefined> {
    const rows = await queryReturning<{ before: ReturnState }>(
      manager,
      `UPDATE return_request r SET state = $2, reason = $3, history = $4, entry = $5, updated_at = $6
       FROM (SELECT id, state AS before FROM return_request WHERE id = $1 AND direction = 'outgoing' FOR UPDATE) old
       WHERE r.id = old.id RETURNING old.before`,
      [s.id, s.state, s.reason, JSON.stringify(s.history), JSON.stringify(s.entry), s.updatedAt],
    );
    return rows[0]?.before;
  }

  async findRequest(manager: EntityManager, id: string, forUpdate = false): Promise<RequestRow | undefined> {
    const rows = await manager.query(`SELECT ${REQUEST_COLUMNS} FROM return_request WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? toRequest(rows[0]) : undefined;
  }

  async listRequests(manager: EntityManager, f: { direction?: Direction; state?: ReturnState; afterSeq: number; limit: number }): Promise<RequestRow[]> {
    const rows = await manager.query(
      `SELECT ${REQUEST_COLUMNS} FROM return_request
       WHERE row_seq > $1 AND ($2::text IS NULL OR direction = $2) AND ($3::text IS NULL OR state = $3)
       ORDER BY row_seq LIMIT $4`,
      [f.afterSeq, f.direction ?? null, f.state ?? null, f.limit],
    );
    return rows.map(toRequest);
  }

  /** At the holder: a decision, appended to the history. */
  async decide(manager: EntityManager, id: string, state: ReturnState, reason: string | null, event: ReturnHistoryEvent): Promise<void> {
    await manager.query(`UPDATE return_request SET state = $2, reason = $3, history = history || $4::jsonb, updated_at = $5 WHERE id = $1`, [
      id,
      state,
      reason,
      JSON.stringify([event]),
      event.at,
    ]);
  }

  async appendLocalEvent(manager: EntityManager, id: string, event: ReturnHistoryEvent): Promise<void> {
    await manager.query(`UPDATE return_request SET local_events = local_events || $2::jsonb WHERE id = $1`, [id, JSON.stringify([event])]);
  }

  /**
   * At the holder: counts what crossed the boundary. When a pass ends (the receiver caught up), the
   * rows of the pass become one history event, so both ends see what was sent without a row per chunk.
   */
  async recordSent(manager: EntityManager, id: string, rows: number, lastSeq: number, passEnded: boolean, by: string): Promise<void> {
    await manager.query(
      `UPDATE return_request SET rows_sent = rows_sent + $2::bigint,
         pass_rows = CASE WHEN $4::boolean THEN 0 ELSE pass_rows + $2::bigint END,
         last_sent_seq = GREATEST(last_sent_seq, $3::bigint), last_sent_at = now(),
         history = CASE WHEN $4::boolean AND pass_rows + $2::bigint > 0
           THEN history || jsonb_build_array(jsonb_build_object('at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'state', 'transfer', 'by', $5::text, 'note', 'sent ' || (pass_rows + $2::bigint) || ' rows up to change ' || $3::bigint))
           ELSE history END,
         updated_at = CASE WHEN $4::boolean AND pass_rows + $2::bigint > 0 THEN now() ELSE updated_at END
       WHERE id = $1`,
      [id, rows, lastSeq, passEnded, by],
    );
  }

  async pendingOutgoing(manager: EntityManager): Promise<{ id: string; holder: string }[]> {
    return manager.query(`SELECT id, holder FROM return_request WHERE direction = 'outgoing' AND state = 'pending' ORDER BY row_seq`);
  }

  /** Granted outgoing requests without a job in flight, with when their last job finished. */
  async idleGranted(manager: EntityManager): Promise<{ id: string; updateCycle: string; lastFinishedAt: string | null; fullDone: boolean }[]> {
    const rows = await manager.query(
      `SELECT r.id, r.entry->>'updateCycle' AS "updateCycle",
              (SELECT max(finished_at) FROM return_job j WHERE j.request_id = r.id AND j.state = 'done') AS "lastFinishedAt",
              EXISTS (SELECT 1 FROM return_job j WHERE j.request_id = r.id AND j.kind = 'full' AND j.state = 'done') AS "fullDone"
       FROM return_request r
       WHERE r.direction = 'outgoing' AND r.state = 'granted'
         AND NOT EXISTS (SELECT 1 FROM return_job j WHERE j.request_id = r.id AND j.state IN ('queued', 'running'))`,
    );
    return rows.map((r: Record<string, unknown>) => ({
      id: String(r.id),
      updateCycle: String(r.updateCycle),
      lastFinishedAt: r.lastFinishedAt ? new Date(r.lastFinishedAt as string).toISOString() : null,
      fullDone: Boolean(r.fullDone),
    }));
  }
}

/** For API answers: the request without the bookkeeping columns, its history merged with the receiver's own events. */
export function requestView(r: RequestRow): ReturnRequestView {
  const history = [...r.history, ...r.localEvents].sort((a, b) => a.at.localeCompare(b.at));
  return {
    id: r.id,
    direction: r.direction,
    entryId: r.entryId,
    holder: r.holder,
    requester: r.requester,
    scope: r.scope,
    purpose: r.purpose,
    state: r.state,
    reason: r.reason,
    history,
    entry: r.entry,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

function toRequest(r: Record<string, unknown>): RequestRow {
  return {
    id: String(r.id),
    direction: r.direction as Direction,
    entryId: String(r.entryId),
    holder: String(r.holder).trim(),
    requester: String(r.requester).trim(),
    scope: r.scope as ReturnScope,
    purpose: String(r.purpose),
    state: r.state as ReturnState,
    reason: (r.reason as string | null) ?? null,
    history: r.history as ReturnHistoryEvent[],
    localEvents: r.localEvents as ReturnHistoryEvent[],
    entry: r.entry as ReturnEntrySummary,
    appliedSeq: Number(r.appliedSeq),
    rowsSent: Number(r.rowsSent),
    createdAt: new Date(r.createdAt as string).toISOString(),
    updatedAt: new Date(r.updatedAt as string).toISOString(),
    rowSeq: Number(r.rowSeq),
  };
}
