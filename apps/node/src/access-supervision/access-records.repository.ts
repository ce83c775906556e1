import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { AccessRefusalClass } from '@tdx/contracts';

/**
 * What access supervision reads of the node's own records: aggregates only, never a row of data.
 * It owns no table and writes nothing; the tables it reads (audit_record, return_request,
 * share_request, rejected_message) stay their modules' own, read here in one place so that the
 * figures' definitions (docs/supervision.md, "Access supervision") are in one file.
 */

/** One group of exchanges: its kind, the other node, this node's institution concerned (when known), how many and how many rows. */
export interface ExchangeGroup {
  kind: 'return' | 'query' | 'delivery' | 'rows';
  counterpart: string | null;
  institution: string | null;
  exchanges: number;
  rows: number;
}

export interface DailyRows {
  institution: string;
  day: string;
  rows: number;
}

export interface PendingReturn {
  id: string;
  createdAt: Date;
}

export interface OverdueShare {
  id: string;
  deadline: Date;
}

/** The audit record's target as a uuid (null when it is none), so the lookups use the requests' primary keys. */
const TARGET_UUID = `(CASE WHEN a.target ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN a.target::uuid END)`;

/**
 * The exchanges recorded in the audit log, each with its counterpart and institution:
 * - `return.request` (at the holder): a return request received; the institution is the entry's provider;
 * - `return.chunk.served` / `return.chunk.received`: rows that crossed for a return;
 * - `share.query` served, `share.deliver` served or done: a query or a delivery through a grant, with its rows.
 * $3 is this node's code: a share's counterpart is the end that is not this node.
 */
const EXCHANGES = `
  SELECT CASE a.action WHEN 'return.request' THEN 'return' WHEN 'share.query' THEN 'query' WHEN 'share.deliver' THEN 'delivery' ELSE 'rows' END AS kind,
    CASE WHEN a.action LIKE 'share.%'
      THEN CASE WHEN a.details->>'provider' = $3 THEN a.details->>'consumer' ELSE a.details->>'provider' END
      ELSE substr(a.actor, 6) END AS counterpart,
    CASE WHEN a.action LIKE 'share.%' THEN (
        SELECT CASE WHEN s.side = 'provider' THEN s.entry->>'providerId' ELSE s.consumer_institution::text END
        FROM share_request s
        WHERE s.id = ${TARGET_UUID} AND s.side = CASE WHEN a.details->>'provider' = $3 THEN 'provider' ELSE 'consumer' END)
      ELSE (SELECT e.provider_id::text FROM return_request r JOIN catalog_entry e ON e.id = r.entry_id
            WHERE r.id = ${TARGET_UUID} AND r.direction = 'incoming') END AS institution,
    CASE WHEN a.details->>'rows' ~ '^[0-9]{1,15}$' THEN (a.details->>'rows')::bigint ELSE 0 END AS rows,
    a.at
  FROM audit_record a
  WHERE a.at >= $1 AND a.at < $2
    AND (a.action IN ('return.request', 'return.chunk.served', 'return.chunk.received')
      OR (a.action = 'share.query' AND a.outcome = 'served')
      OR (a.action = 'share.deliver' AND a.outcome IN ('served', 'done')))`;

@Injectable()
export class AccessRecordsRepository {
  async exchanges(manager: EntityManager, from: Date, to: Date, here: string): Promise<ExchangeGroup[]> {
    const rows: { kind: ExchangeGroup['kind']; counterpart: string | null; institution: string | null; exchanges: string; rows: string }[] =
      await manager.query(
        `SELECT kind, counterpart, institution, count(*) AS exchanges, sum(rows) AS rows FROM (${EXCHANGES}) x GROUP BY kind, counterpart, institution`,
        [from, to, here],
      );
    return rows.map((r) => ({ kind: r.kind, counterpart: r.counterpart, institution: r.institution, exchanges: Number(r.exchanges), rows: Number(r.rows) }));
  }

  /** Rows exchanged per institution and UTC day, from `from` to `to`. */
  async dailyRows(manager: EntityManager, from: Date, to: Date, here: string): Promise<DailyRows[]> {
    const rows: { institution: string; day: string; rows: string }[] = await manager.query(
      `SELECT institution, to_char(date_trunc('day', at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, sum(rows) AS rows
       FROM (${EXCHANGES}) x WHERE institution IS NOT NULL AND rows > 0 GROUP BY 1, 2`,
      [from, to, here],
    );
    return rows.map((r) => ({ institution: r.institution, day: r.day, rows: Number(r.rows) }));
  }

  /**
   * Refusals over the period, by class: at receipt by a rule (return refused), by a person (return
   * or share rejected), a query or delivery outside its grant, a protocol message refused.
   */
  async refusals(manager: EntityManager, from: Date, to: Date): Promise<{ class: AccessRefusalClass; count: number }[]> {
    const rows: { class: AccessRefusalClass; count: string }[] = await manager.query(
      `SELECT class, count(*) AS count FROM (
         SELECT CASE
           WHEN action = 'return.request' AND outcome = 'refused' THEN 'return-refused'
           WHEN action = 'share.state' AND outcome = 'rejected' THEN 'share-rejected'
           WHEN action = 'share.query' AND outcome = 'refused' THEN 'share-query-refused'
           WHEN action = 'share.deliver' AND outcome = 'refused' THEN 'share-delivery-refused'
           WHEN action IN ('return.refused', 'share.refused') THEN 'message-refused'
         END AS class
         FROM audit_record WHERE at >= $1 AND at < $2
           AND action IN ('return.request', 'share.state', 'share.query', 'share.deliver', 'return.refused', 'share.refused')
         UNION ALL
         SELECT 'return-rejected' FROM return_request r, jsonb_array_elements(r.history) e
         WHERE r.direction = 'incoming' AND e->>'state' = 'rejected' AND (e->>'at')::timestamptz >= $1 AND (e->>'at')::timestamptz < $2
       ) x WHERE class IS NOT NULL GROUP BY class ORDER BY class`,
      [from, to],
    );
    return rows.map((r) => ({ class: r.class, count: Number(r.count) }));
  }

  /**
   * Hours from request to decision of the requests decided here over the period that waited for a
   * person: a return granted or rejected after its arrival, a share approved, granted or rejected
   * by a user. Decisions a rule makes at receipt (unconditional: at once; not shared: refused) are
   * no one's response time and are left out.
   */
  async decisionHours(manager: EntityManager, from: Date, to: Date): Promise<number[]> {
    const rows: { hours: string }[] = await manager.query(
      `SELECT extract(epoch FROM decided - created) / 3600 AS hours FROM (
         SELECT r.created_at AS created, (
             SELECT min((e->>'at')::timestamptz) FROM jsonb_array_elements(r.history) e
             WHERE e->>'state' IN ('granted', 'rejected') AND (e->>'at')::timestamptz > r.created_at) AS decided
         FROM return_request r WHERE r.direction = 'incoming'
         UNION ALL
         SELECT s.created_at, (
             SELECT min((e->>'at')::timestamptz) FROM jsonb_array_elements(s.history) e
             WHERE e->>'state' IN ('approved', 'granted', 'rejected') AND e->>'actor' LIKE 'user:%')
         FROM share_request s WHERE s.side = 'provider'
       ) d WHERE decided >= $1 AND decided < $2`,
      [from, to],
    );
    return rows.map((r) => Number(r.hours));
  }

  /** Return requests received here and still undecided (their deadline is reckoned on the calendar by the caller). */
  async pendingReturns(manager: EntityManager, limit: number): Promise<PendingReturn[]> {
    const rows: { id: string; created_at: Date }[] = await manager.query(
      `SELECT id, created_at FROM return_request WHERE direction = 'incoming' AND state = 'pending' ORDER BY created_at, id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at }));
  }

  /** Share requests to decide here, undecided past their deadline at `now`, the oldest first. */
  async overdueShares(manager: EntityManager, now: Date, limit: number): Promise<{ count: number; oldest: OverdueShare[] }> {
    const [{ count }]: { count: string }[] = await manager.query(
      `SELECT count(*) AS count FROM share_request WHERE side = 'provider' AND state = 'requested' AND deadline < $1`,
      [now],
    );
    const oldest: { id: string; deadline: Date }[] = await manager.query(
      `SELECT id, deadline FROM share_request WHERE side = 'provider' AND state = 'requested' AND deadline < $1 ORDER BY deadline, id LIMIT $2`,
      [now, limit],
    );
    return { count: Number(count), oldest: oldest.map((r) => ({ id: r.id, deadline: r.deadline })) };
  }

  /** Grants in force that expire between `now` and `until` (a share this node holds both ends of counts once). */
  async grantsExpiring(manager: EntityManager, now: Date, until: Date, limit: number): Promise<{ count: number; soonest: { id: string; expiresAt: Date }[] }> {
    const rows: { id: string; expires_at: Date }[] = await manager.query(
      `SELECT DISTINCT ON (id) id, expires_at FROM share_request WHERE state = 'granted' AND expires_at >= $1 AND expires_at < $2 ORDER BY id`,
      [now, until],
    );
    const sorted = rows
      .map((r) => ({ id: r.id, expiresAt: r.expires_at }))
      .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || (a.id < b.id ? -1 : 1));
    return { count: sorted.length, soonest: sorted.slice(0, limit) };
  }

  /**
   * Security events over the period: refused or forged messages from other nodes (rejected_message,
   * one per distinct message however often it was repeated), refused sign-ins (401 and 429 on the
   * sign-in route, recorded one by one or in the summaries of anonymous refusals), and 403 answers.
   */
  async securityEvents(
    manager: EntityManager,
    from: Date,
    to: Date,
  ): Promise<{ rejectedMessages: number; refusedSignIns: number; forbidden: number; bySender: { sender: string; count: number; reason: string }[] }> {
    const bySender: { sender: string; count: string; reason: string }[] = await manager.query(
      `SELECT sender, count(*) AS count, (array_agg(reason ORDER BY last_received_at DESC))[1] AS reason
       FROM rejected_message WHERE last_received_at >= $1 AND last_received_at < $2 GROUP BY sender ORDER BY count(*) DESC, sender`,
      [from, to],
    );
    const [audit]: { signins: string; forbidden: string; summarised: string }[] = await manager.query(
      `SELECT
         count(*) FILTER (WHERE action = 'auth.login' AND outcome IN ('401', '429')) AS signins,
         count(*) FILTER (WHERE outcome = '403') AS forbidden,
         coalesce(sum((SELECT sum((k->>'count')::bigint) FROM jsonb_array_elements(details->'kinds') k
                       WHERE k->>'route' = '/api/v1/auth/login' AND k->>'status' IN ('401', '429')))
                  FILTER (WHERE action = 'http.anonymous-refusals'), 0) AS summarised
       FROM audit_record WHERE at >= $1 AND at < $2 AND (action IN ('auth.login', 'http.anonymous-refusals') OR outcome = '403')`,
      [from, to],
    );
    return {
      rejectedMessages: bySender.reduce((sum, r) => sum + Number(r.count), 0),
      refusedSignIns: Number(audit.signins) + Number(audit.summarised),
      forbidden: Number(audit.forbidden),
      bySender: bySender.map((r) => ({ sender: r.sender.trim(), count: Number(r.count), reason: r.reason })),
    };
  }
}
