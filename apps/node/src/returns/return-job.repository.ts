import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { queryReturning } from '../common/returning';
import type { ReturnJobView } from '@tdx/contracts';

export type JobKind = ReturnJobView['kind'];
export type JobState = ReturnJobView['state'];

export interface JobRow {
  id: string;
  requestId: string;
  kind: JobKind;
  state: JobState;
  afterSeq: number;
  tombstonesAfter: number | null;
  rowsDone: number;
  rowsTotal: number | null;
  upserts: number;
  deletes: number;
  lastError: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const JOB_COLUMNS = `id, request_id AS "requestId", kind, state, after_seq AS "afterSeq", tombstones_after AS "tombstonesAfter",
  rows_done AS "rowsDone", rows_total AS "rowsTotal", upserts, deletes, last_error AS "lastError", attempts,
  next_attempt_at AS "nextAttemptAt", created_at AS "createdAt",
  started_at AS "startedAt", finished_at AS "finishedAt"`;

/** Tables return_job and return_job_range: the receiver's transfer jobs, their cursor and the ranges written ahead of it. */
@Injectable()
export class ReturnJobRepository {
  /** A new job, or the one already in flight for the request (at most one at a time). */
  async createJob(manager: EntityManager, id: string, requestId: string, kind: JobKind, afterSeq: number, tombstonesAfter: number | null): Promise<JobRow> {
    await manager.query(
      `INSERT INTO return_job (id, request_id, kind, state, after_seq, tombstones_after) VALUES ($1, $2, $3, 'queued', $4, $5)
       ON CONFLICT (request_id) WHERE state IN ('queued', 'running') DO NOTHING`,
      [id, requestId, kind, afterSeq, tombstonesAfter],
    );
    const rows = await manager.query(
      `SELECT ${JOB_COLUMNS} FROM return_job WHERE request_id = $1 AND (id = $2 OR state IN ('queued', 'running')) ORDER BY row_seq DESC LIMIT 1`,
      [requestId, id],
    );
    return toJob(rows[0]);
  }

  async findJob(manager: EntityManager, id: string): Promise<JobRow | undefined> {
    const rows = await manager.query(`SELECT ${JOB_COLUMNS} FROM return_job WHERE id = $1`, [id]);
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  async listJobs(manager: EntityManager, requestId: string | undefined, limit: number): Promise<JobRow[]> {
    const rows = await manager.query(`SELECT ${JOB_COLUMNS} FROM return_job WHERE ($1::uuid IS NULL OR request_id = $1) ORDER BY row_seq DESC LIMIT $2`, [
      requestId ?? null,
      limit,
    ]);
    return rows.map(toJob);
  }

  async activeJobs(manager: EntityManager): Promise<JobRow[]> {
    const rows = await manager.query(`SELECT ${JOB_COLUMNS} FROM return_job WHERE state IN ('queued', 'running') ORDER BY row_seq`);
    return rows.map(toJob);
  }

  async startJob(manager: EntityManager, id: string): Promise<void> {
    await manager.query(
      `UPDATE return_job SET state = 'running', started_at = coalesce(started_at, now()), next_attempt_at = NULL WHERE id = $1 AND state IN ('queued', 'running')`,
      [id],
    );
  }

  /**
   * What a plan told the job: the head of the first plan bounds the deletions it needs (kept for
   * the rest of the job), and the rows still to come make the total shown to the operator.
   */
  async recordPlan(manager: EntityManager, id: string, tombstonesAfter: number, remaining: number): Promise<void> {
    await manager.query(`UPDATE return_job SET tombstones_after = coalesce(tombstones_after, $2), rows_total = rows_done + $3::bigint WHERE id = $1`, [
      id,
      tombstonesAfter,
      remaining,
    ]);
  }

  /** Moves the cursor over changes that hold nothing for the job (every range before it written). */
  async advanceCursor(manager: EntityManager, id: string, through: number): Promise<void> {
    await manager.query(`UPDATE return_job SET after_seq = GREATEST(after_seq, $2) WHERE id = $1`, [id, through]);
  }

  /**
   * Ends a job; a finished job's cursor becomes the request's applied sequence (where the next
   * incremental starts), and its end the request's last sync.
   */
  async finishJob(manager: EntityManager, id: string, state: 'done' | 'failed', error: string | null): Promise<JobRow> {
    const rows = await queryReturning<Record<string, unknown>>(
      manager,
      `UPDATE return_job SET state = $2, last_error = $3, finished_at = now(), next_attempt_at = NULL
       WHERE id = $1 AND state IN ('queued', 'running') RETURNING ${JOB_COLUMNS}`,
      [id, state, error?.slice(0, 1000) ?? null],
    );
    // Cancelled meanwhile (the request ended): it stays cancelled.
    if (rows.length === 0) return (await this.findJob(manager, id)) as JobRow;
    const job = toJob(rows[0]);
    if (state === 'done') {
      await manager.query(`UPDATE return_request SET applied_seq = GREATEST(applied_seq, $2), last_sync_at = now(), last_checked_at = now() WHERE id = $1`, [
        job.requestId,
        job.afterSeq,
      ]);
    }
    return job;
  }

  /** A failed attempt: one more in a row, why, and when the next starts. */
  async jobError(manager: EntityManager, id: string, error: string, nextAttemptAt: Date): Promise<void> {
    await manager.query(
      `UPDATE return_job SET last_error = $2, attempts = attempts + 1, next_attempt_at = $3 WHERE id = $1 AND state IN ('queued', 'running')`,
      [id, error.slice(0, 1000), nextAttemptAt],
    );
  }

  /** The request ended: its job in flight, if any, stops for good, saying why. */
  async cancelActive(manager: EntityManager, requestId: string, why: string): Promise<number> {
    const rows = await queryReturning(
      manager,
      `UPDATE return_job SET state = 'cancelled', last_error = $2, finished_at = now(), next_attempt_at = NULL
         WHERE request_id = $1 AND state IN ('queued', 'running') RETURNING id`,
      [requestId, why.slice(0, 1000)],
    );
    return rows.length;
  }

  /** Jobs in flight that failed their last attempt and wait for the next (a gauge). */
  async backingOff(manager: EntityManager): Promise<number> {
    const [row] = await manager.query(`SELECT count(*)::int AS n FROM return_job WHERE state IN ('queued', 'running') AND attempts > 0`);
    return Number(row.n);
  }
}

function toJob(r: Record<string, unknown>): JobRow {
  const date = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
  return {
    id: String(r.id),
    requestId: String(r.requestId),
    kind: r.kind as JobKind,
    state: r.state as JobState,
    afterSeq: Number(r.afterSeq),
    tombstonesAfter: r.tombstonesAfter === null ? null : Number(r.tombstonesAfter),
    rowsDone: Number(r.rowsDone),
    rowsTotal: r.rowsTotal === null ? null : Number(r.rowsTotal),
    upserts: Number(r.upserts),
    deletes: Number(r.deletes),
    lastError: (r.lastError as string | null) ?? null,
    attempts: Number(r.attempts),
    nextAttemptAt: date(r.nextAttemptAt),
    createdAt: date(r.createdAt) as string,
    startedAt: date(r.startedAt),
    finishedAt: date(r.finishedAt),
  };
}
