import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { queryReturning } from '../common/returning';
import { RETURN_FINAL_STATES } from '@tdx/contracts';
import type { ReturnDirection, ReturnEntrySummary, ReturnHistoryEvent, ReturnRequestState, ReturnRequestView, ReturnScope, ReturnState } from '@tdx/contracts';

export type Direction = ReturnDirection;
export interface RequestRow extends ReturnRequestState {
  direction: Direction;
  localEvents: ReturnHistoryEvent[];
  appliedSeq: number;
  rowsSent: number;
  lastCheckedAt: string | null;
  lastSyncAt: string | null;
  rowSeq: number;
}

/** The states a request can still leave: anything else is final (see RETURN_FINAL_STATES). */
export const OPEN_STATES: readonly ReturnState[] = ['pending', 'granted'];
const FINAL_SQL = RETURN_FINAL_STATES.map((s) => `'${s}'`).join(', ');

const REQUEST_COLUMNS = `id, direction, entry_id AS "entryId", holder, requester, scope, purpose, state, reason, history,
  local_events AS "localEvents", entry, applied_seq AS "appliedSeq", rows_sent AS "rowsSent", created_at AS "createdAt",
  updated_at AS "updatedAt", last_checked_at AS "lastCheckedAt", last_sync_at AS "lastSyncAt", row_seq AS "rowSeq"`;

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

  /**
   * At the requester: takes over the holder's view of the request. Returns the state held before;
   * undefined when there is no such request, or when it has ended here already (a final state is
   * never left, whatever an answer says later).
   */
  async mirror(manager: EntityManager, s: ReturnRequestState): Promise<ReturnState | undefined> {
    const rows = await queryReturning<{ before: ReturnState }>(
      manager,
      `UPDATE return_request r SET state = $2, reason = $3, history = $4, entry = $5, updated_at = $6
       FROM (SELECT id, state AS before FROM return_request WHERE id = $1 AND direction = 'outgoing' FOR UPDATE) old
       WHERE r.id = old.id AND old.before NOT IN (${FINAL_SQL}) RETURNING old.before`,
      [s.id, s.state, s.reason, JSON.stringify(s.history), JSON.stringify(s.entry), s.updatedAt],
    );
    return rows[0]?.before;
  }

  /**
   * At the requester, when the holder refused for good but does not say the request ended (it no
   * longer knows it, or it is broken): the request ends here, so nothing retries it.
   */
  async endHere(manager: EntityManager, id: string, reason: string, event: ReturnHistoryEvent): Promise<boolean> {
    const rows = await queryReturning(
      manager,
      `UPDATE return_request SET state = 'ended', reason = $2, local_events = local_events || $3::jsonb, updated_at = $4
         WHERE id = $1 AND direction = 'outgoing' AND state NOT IN (${FINAL_SQL}) RETURNING id`,
      [id, reason, JSON.stringify([event]), event.at],
    );
    return rows.length === 1;
  }

  /** At the receiver: it asked the holder for changes (and found none after `head`, when given). */
  async markChecked(manager: EntityManager, id: string, head?: number): Promise<void> {
    await manager.query(`UPDATE return_request SET last_checked_at = now(), applied_seq = GREATEST(applied_seq, $2::bigint) WHERE id = $1`, [id, head ?? 0]);
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

  /**
   * At the holder: incoming requests from nodes strictly below the city `city` (its counties),
   * oldest first, keyset-paged by row sequence.
   */
  async listBelow(manager: EntityManager, city: string, afterSeq: number, limit: number): Promise<RequestRow[]> {
    const rows = await manager.query(
      `SELECT ${REQUEST_COLUMNS} FROM return_request
       WHERE direction = 'incoming' AND requester LIKE $1 AND requester <> $2 AND row_seq > $3 ORDER BY row_seq LIMIT $4`,
      [`${city.slice(0, 4)}%`, city, afterSeq, limit],
    );
    return rows.map(toRequest);
  }

  /** At the holder: the entries of the requests that can still end (pending or granted), with their ids. */
  async openIncomingByEntry(manager: EntityManager): Promise<{ entryId: string; ids: string[] }[]> {
    const rows: { entryId: string; ids: string[] }[] = await manager.query(
      `SELECT entry_id AS "entryId", array_agg(id::text ORDER BY row_seq) AS ids FROM return_request
       WHERE direction = 'incoming' AND state IN ('pending', 'granted') GROUP BY entry_id`,
    );
    return rows;
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

  /**
   * Granted outgoing requests without a job in flight, with when the receiver last asked the holder
   * for changes (a finished job, or a check that found none).
   */
  async idleGranted(manager: EntityManager): Promise<{ id: string; holder: string; updateCycle: string; lastCheckedAt: string | null; fullDone: boolean }[]> {
    const rows = await manager.query(
      `SELECT r.id, r.holder, r.entry->>'updateCycle' AS "updateCycle", r.last_checked_at AS "lastCheckedAt",
              EXISTS (SELECT 1 FROM return_job j WHERE j.request_id = r.id AND j.kind = 'full' AND j.state = 'done') AS "fullDone"
       FROM return_request r
       WHERE r.direction = 'outgoing' AND r.state = 'granted'
         AND NOT EXISTS (SELECT 1 FROM return_job j WHERE j.request_id = r.id AND j.state IN ('queued', 'running'))`,
    );
    return rows.map((r: Record<string, unknown>) => ({
      id: String(r.id),
      holder: String(r.holder).trim(),
      updateCycle: String(r.updateCycle),
      lastCheckedAt: r.lastCheckedAt ? new Date(r.lastCheckedAt as string).toISOString() : null,
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
    lastCheckedAt: r.lastCheckedAt,
    lastSyncAt: r.lastSyncAt,
  };
}

/** The request as the holder answers it on the wire: none of either end's bookkeeping. */
export function wireState(r: RequestRow): ReturnRequestState {
  const { direction: _direction, lastCheckedAt: _checked, lastSyncAt: _synced, ...state } = requestView(r);
  return state;
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
    lastCheckedAt: r.lastCheckedAt ? new Date(r.lastCheckedAt as string).toISOString() : null,
    lastSyncAt: r.lastSyncAt ? new Date(r.lastSyncAt as string).toISOString() : null,
    rowSeq: Number(r.rowSeq),
  };
}
