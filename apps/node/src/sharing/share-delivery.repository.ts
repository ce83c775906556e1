import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { ShareDeliveryView } from '@tdx/contracts';
import type { ChunkCursor } from '../returns/returned-rows.writer';
import { ChunkRefused } from '../returns/return-chunk';
import { queryReturning } from '../common/returning';

const COLUMNS = `id, share_id AS "shareId", provider, kind, state, after_seq AS "afterSeq", tombstones_after AS "tombstonesAfter",
  chunks, rows_done AS "rowsDone", upserts, deletes, rule, last_error AS "lastError", attempts, actor,
  created_at AS "createdAt", finished_at AS "finishedAt"`;

export type DeliveryRow = ShareDeliveryView & { tombstonesAfter: number | null };

/** Table share_delivery: a consumer's deliveries of a grant, each with its cursor (the provider's change sequence committed here). */
@Injectable()
export class ShareDeliveryRepository {
  /** A new delivery, or the one of this share already running (one at a time). */
  async create(manager: EntityManager, d: { id: string; shareId: string; provider: string; kind: 'full' | 'incremental'; actor: string; afterSeq: number }) {
    await manager.query(
      `INSERT INTO share_delivery (id, share_id, provider, kind, state, actor, after_seq) VALUES ($1, $2, $3, $4, 'running', $5, $6)
       ON CONFLICT (share_id) WHERE state = 'running' DO NOTHING`,
      [d.id, d.shareId, d.provider, d.kind, d.actor, d.afterSeq],
    );
    const rows = await manager.query(
      `SELECT ${COLUMNS} FROM share_delivery WHERE share_id = $1 AND (id = $2 OR state = 'running') ORDER BY row_seq DESC LIMIT 1`,
      [d.shareId, d.id],
    );
    return toDelivery(rows[0]);
  }

  async find(manager: EntityManager, id: string): Promise<DeliveryRow | undefined> {
    const rows = await manager.query(`SELECT ${COLUMNS} FROM share_delivery WHERE id = $1`, [id]);
    return rows[0] ? toDelivery(rows[0]) : undefined;
  }

  async list(manager: EntityManager, shareId: string, limit: number): Promise<DeliveryRow[]> {
    const rows = await manager.query(`SELECT ${COLUMNS} FROM share_delivery WHERE share_id = $1 ORDER BY row_seq DESC LIMIT $2`, [shareId, limit]);
    return rows.map(toDelivery);
  }

  async runningOf(manager: EntityManager, shareId: string): Promise<boolean> {
    const rows = await manager.query(`SELECT 1 FROM share_delivery WHERE share_id = $1 AND state = 'running'`, [shareId]);
    return rows.length > 0;
  }

  async running(manager: EntityManager): Promise<DeliveryRow[]> {
    const rows = await manager.query(`SELECT ${COLUMNS} FROM share_delivery WHERE state = 'running' ORDER BY row_seq`);
    return rows.map(toDelivery);
  }

  /** Where the next delivery of the share starts: the cursor of its last completed one (null: none, so a full delivery). */
  async lastDoneSeq(manager: EntityManager, shareId: string): Promise<number | null> {
    const [row] = await manager.query(`SELECT max(after_seq) AS seq FROM share_delivery WHERE share_id = $1 AND state = 'done'`, [shareId]);
    return row.seq === null ? null : Number(row.seq);
  }

  async end(manager: EntityManager, id: string, state: 'done' | 'refused', rule: string | null, error: string | null): Promise<DeliveryRow | undefined> {
    const rows = await queryReturning<Record<string, unknown>>(
      manager,
      `UPDATE share_delivery SET state = $2, rule = $3, last_error = $4, finished_at = now() WHERE id = $1 AND state = 'running' RETURNING ${COLUMNS}`,
      [id, state, rule, error?.slice(0, 1000) ?? null],
    );
    return rows[0] ? toDelivery(rows[0]) : undefined;
  }

  async failedAttempt(manager: EntityManager, id: string, error: string): Promise<void> {
    await manager.query(`UPDATE share_delivery SET attempts = attempts + 1, last_error = $2 WHERE id = $1 AND state = 'running'`, [id, error.slice(0, 1000)]);
  }

  /**
   * The delivery's cursor for ReturnedRowsWriter: moved with the chunk's rows in one transaction,
   * only from where it stands (a chunk that does not continue from it is refused, and nothing of it is written).
   */
  cursor(id: string, tombstonesAfter: number): ChunkCursor {
    return {
      async advance(manager, chunk, counts) {
        const moved = await queryReturning(
          manager,
          `UPDATE share_delivery SET after_seq = $3, tombstones_after = coalesce(tombstones_after, $4), chunks = chunks + 1,
             rows_done = rows_done + $5, upserts = upserts + $6, deletes = deletes + $7, last_error = NULL
           WHERE id = $1 AND state = 'running' AND after_seq = $2 RETURNING id`,
          [id, chunk.after, chunk.through, tombstonesAfter, chunk.rows, counts.upserts, counts.deletes],
        );
        if (moved.length === 0) throw new ChunkRefused('the chunk does not continue from the committed cursor (or the delivery ended)', false);
      },
    };
  }
}

function toDelivery(r: Record<string, unknown>): DeliveryRow {
  const date = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
  return {
    id: String(r.id),
    shareId: String(r.shareId),
    provider: String(r.provider),
    kind: r.kind as DeliveryRow['kind'],
    state: r.state as DeliveryRow['state'],
    afterSeq: Number(r.afterSeq),
    tombstonesAfter: r.tombstonesAfter === null ? null : Number(r.tombstonesAfter),
    chunks: Number(r.chunks),
    rowsDone: Number(r.rowsDone),
    upserts: Number(r.upserts),
    deletes: Number(r.deletes),
    rule: (r.rule as string | null) ?? null,
    lastError: (r.lastError as string | null) ?? null,
    attempts: Number(r.attempts),
    actor: String(r.actor),
    createdAt: date(r.createdAt) as string,
    finishedAt: date(r.finishedAt),
  };
}
