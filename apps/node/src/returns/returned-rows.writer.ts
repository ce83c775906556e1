import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { copyIn } from '../database/copy-in';
import type { Jurisdiction } from './returns.repository';

const CARDINALITY_VIOLATION = '21000';

/** A verified chunk whose rows cannot be applied; `permanent` when retrying cannot help (rows outside the jurisdiction). */
export class ChunkRefused extends Error {
  constructor(message: string, readonly permanent: boolean) {
    super(message);
  }
}

export interface ChunkToApply {
  after: number;
  through: number;
  rows: number;
  /** The rows in COPY text format, checksum and signature already verified. */
  attachment: Buffer;
}

/**
 * Writes a chunk into returned_row at the receiver. In one transaction: the rows are loaded with
 * COPY into a staging table, checked there (count, order, jurisdiction, shape) and merged, and the
 * chunk's range is recorded, so a crash leaves either all of it or none. Chunks are written
 * several at once and may commit out of order: a range committed ahead of the job's cursor waits
 * in return_job_range, and whichever commit closes the gap moves the cursor over every range
 * that now follows it without a gap (adding their counts). Upserts and deletions never replace a
 * newer `source_seq`, so a chunk written again (after a crash, from the cursor) changes nothing.
 */
@Injectable()
export class ReturnedRowsWriter {
  constructor(private readonly dataSource: DataSource) {}

  /** Forgets ranges committed ahead of the cursor by an earlier run of the job: they will be pulled again. */
  async forgetRangesAhead(jobId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM return_job_range WHERE job_id = $1`, [jobId]);
  }

  /** `lastly`: more writes of the same transaction, after the rows and the range (the audit record of the chunk). */
  async apply(job: { id: string; requestId: string }, jurisdiction: Jurisdiction, chunk: ChunkToApply,
    lastly?: (manager: EntityManager) => Promise<void>): Promise<{ upserts: number; deletes: number }> {
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      await runner.startTransaction();
      // Rows and range commit together, so a commit lost in a database crash only makes the job
      // pull that chunk again: there is nothing to gain from waiting for the WAL flush.
      await runner.query('SET LOCAL synchronous_commit = off');
      const counts = chunk.rows > 0 ? await this.stageAndMerge(runner.query.bind(runner), client, job.requestId, jurisdiction, chunk) : { upserts: 0, deletes: 0 };
      // The job row's lock, taken last, orders the commits of one job's chunks; the heavy work above runs in parallel.
      const [current] = await runner.query(`SELECT after_seq FROM return_job WHERE id = $1 AND state IN ('queued', 'running') FOR UPDATE`, [job.id]);
      if (!current || Number(current.after_seq) > chunk.after) throw new ChunkRefused('the chunk does not continue from the committed cursor', false);
      await runner.query(
        `INSERT INTO return_job_range (job_id, after_seq, through_seq, rows, upserts, deletes) VALUES ($1, $2, $3, $4, $5, $6)`,
        [job.id, chunk.after, chunk.through, chunk.rows, counts.upserts, counts.deletes]);
      await runner.query(
        `WITH RECURSIVE chain AS (
           SELECT r.after_seq, r.through_seq FROM return_job_range r WHERE r.job_id = $1 AND r.after_seq = $2
           UNION ALL
           SELECT r.after_seq, r.through_seq FROM return_job_range r JOIN chain c ON r.job_id = $1 AND r.after_seq = c.through_seq
         ), folded AS (
           DELETE FROM return_job_range r USING chain c WHERE r.job_id = $1 AND r.after_seq = c.after_seq
           RETURNING r.through_seq, r.rows, r.upserts, r.deletes
         )
         UPDATE return_job j SET after_seq = f.through, rows_done = j.rows_done + f.rows, upserts = j.upserts + f.upserts,
           deletes = j.deletes + f.deletes, state = 'running', last_error = NULL
         FROM (SELECT max(through_seq) AS through, sum(rows) AS rows, sum(upserts) AS upserts, sum(deletes) AS deletes FROM folded) f
         WHERE j.id = $1 AND f.through IS NOT NULL`,
        [job.id, Number(current.after_seq)]);
      await lastly?.(runner.manager);
      await runner.commitTransaction();
      return counts;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async stageAndMerge(
    query: (sql: string, params?: unknown[]) => Promise<unknown>, client: PoolClient, requestId: string, j: Jurisdiction, chunk: ChunkToApply,
  ): Promise<{ upserts: number; deletes: number }> {
    // Temporary, so never WAL-logged; emptied at every commit or rollback.
    await query(`CREATE TEMP TABLE IF NOT EXISTS return_stage
      (row_key text NOT NULL, region_code text NOT NULL, source_seq bigint NOT NULL, data jsonb) ON COMMIT DELETE ROWS`);
    try {
      await copyIn(client, 'COPY return_stage (row_key, region_code, source_seq, data) FROM STDIN', chunk.attachment);
    } catch (error) {
      throw new ChunkRefused(`the chunk's rows are not well-formed: ${(error as Error).message}`, false);
    }
    const [check] = (await query(
      `SELECT count(*)::int AS n, coalesce(min(source_seq), 0)::text AS lo, coalesce(max(source_seq), 0)::text AS hi,
              count(*) FILTER (WHERE NOT (region_code ~ '^[0-9]{6}$'
                AND CASE WHEN $1::text IS NOT NULL THEN region_code = $1 ELSE starts_with(region_code, $2) END))::int AS outside,
              count(*) FILTER (WHERE data IS NOT NULL AND jsonb_typeof(data) <> 'object')::int AS "notObjects",
              count(*) FILTER (WHERE data IS NULL)::int AS deletions
       FROM return_stage`,
      [j.exact ?? null, j.prefix ?? null])) as { n: number; lo: string; hi: string; outside: number; notObjects: number; deletions: number }[];
    // Defence in depth: a holder must never send a row outside this node's jurisdiction.
    if (check.outside > 0) throw new ChunkRefused(`the holder sent ${check.outside} rows outside the jurisdiction of the request; refused`, true);
    if (check.n !== chunk.rows) throw new ChunkRefused(`the chunk holds ${check.n} rows, its header says ${chunk.rows}`, false);
    if (Number(check.lo) <= chunk.after || Number(check.hi) > chunk.through || check.notObjects > 0) {
      throw new ChunkRefused('the chunk rows are malformed (sequences outside the range, or data not an object)', false);
    }
    const merged = query(
      `WITH up AS (
         INSERT INTO returned_row (request_id, row_key, region_code, data, source_seq)
         SELECT $1, row_key, region_code, data, source_seq FROM return_stage WHERE data IS NOT NULL
         ON CONFLICT (request_id, row_key) DO UPDATE SET region_code = EXCLUDED.region_code, data = EXCLUDED.data, source_seq = EXCLUDED.source_seq
           WHERE returned_row.source_seq < EXCLUDED.source_seq
         RETURNING 1
       ), del AS (
         DELETE FROM returned_row t USING return_stage s
         WHERE $2::boolean AND t.request_id = $1 AND t.row_key = s.row_key AND s.data IS NULL AND t.source_seq < s.source_seq
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM up)::int AS upserts, (SELECT count(*) FROM del)::int AS deletes`,
      [requestId, check.deletions > 0]) as Promise<{ upserts: number; deletes: number }[]>;
    try {
      return (await merged)[0];
    } catch (error) {
      // The upsert cannot touch a row twice: a key given twice in one chunk.
      if ((error as { code?: string }).code === CARDINALITY_VIOLATION) throw new ChunkRefused('the chunk gives a row key twice', false);
      throw error;
    }
  }
}
