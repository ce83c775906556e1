import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { copyIn } from '../database/copy-in';
import { Jurisdiction, updated } from './returns.repository';

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
 * COPY into a staging table, checked there (count, order, jurisdiction, shape), merged, and the
 * job's cursor moves on, so a crash leaves either all of it or none. The cursor guard
 * (`after_seq = after`) refuses a chunk that does not continue from the committed cursor;
 * upserts and deletions never replace a newer `source_seq`, so a replayed chunk changes nothing.
 */
@Injectable()
export class ReturnedRowsWriter {
  constructor(private readonly dataSource: DataSource) {}

  async apply(job: { id: string; requestId: string }, jurisdiction: Jurisdiction, chunk: ChunkToApply): Promise<{ upserts: number; deletes: number }> {
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      await runner.startTransaction();
      // Rows and cursor commit together, so a commit lost in a database crash only makes the job
      // pull that chunk again: there is nothing to gain from waiting for the WAL flush.
      await runner.query('SET LOCAL synchronous_commit = off');
      const counts = chunk.rows > 0 ? await this.stageAndMerge(runner.query.bind(runner), client, job.requestId, jurisdiction, chunk) : { upserts: 0, deletes: 0 };
      const moved = await runner.query(
        `UPDATE return_job SET after_seq = $3, rows_done = rows_done + $4, upserts = upserts + $5, deletes = deletes + $6,
           state = 'running', last_error = NULL
         WHERE id = $1 AND after_seq = $2 AND state IN ('queued', 'running') RETURNING id`,
        [job.id, chunk.after, chunk.through, chunk.rows, counts.upserts, counts.deletes]);
      if (updated(moved).length === 0) throw new ChunkRefused('the chunk does not continue from the committed cursor', false);
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
      `SELECT count(*)::int AS n, count(DISTINCT row_key)::int AS keys, count(DISTINCT source_seq)::int AS seqs,
              coalesce(min(source_seq), 0)::text AS lo, coalesce(max(source_seq), 0)::text AS hi,
              count(*) FILTER (WHERE NOT (region_code ~ '^[0-9]{6}$'
                AND CASE WHEN $1::text IS NOT NULL THEN region_code = $1 ELSE starts_with(region_code, $2) END))::int AS outside,
              count(*) FILTER (WHERE data IS NOT NULL AND jsonb_typeof(data) <> 'object')::int AS "notObjects"
       FROM return_stage`,
      [j.exact ?? null, j.prefix ?? null])) as { n: number; keys: number; seqs: number; lo: string; hi: string; outside: number; notObjects: number }[];
    // Defence in depth: a holder must never send a row outside this node's jurisdiction.
    if (check.outside > 0) throw new ChunkRefused(`the holder sent ${check.outside} rows outside the jurisdiction of the request; refused`, true);
    if (check.n !== chunk.rows) throw new ChunkRefused(`the chunk holds ${check.n} rows, its header says ${chunk.rows}`, false);
    if (check.keys !== check.n || check.seqs !== check.n || Number(check.lo) <= chunk.after || Number(check.hi) > chunk.through || check.notObjects > 0) {
      throw new ChunkRefused('the chunk rows are malformed (repeated keys or sequences, sequences outside the range, or data not an object)', false);
    }
    const [counts] = (await query(
      `WITH up AS (
         INSERT INTO returned_row (request_id, row_key, region_code, data, source_seq)
         SELECT $1, row_key, region_code, data, source_seq FROM return_stage WHERE data IS NOT NULL
         ON CONFLICT (request_id, row_key) DO UPDATE SET region_code = EXCLUDED.region_code, data = EXCLUDED.data, source_seq = EXCLUDED.source_seq
           WHERE returned_row.source_seq < EXCLUDED.source_seq
         RETURNING 1
       ), del AS (
         DELETE FROM returned_row t USING return_stage s
         WHERE t.request_id = $1 AND t.row_key = s.row_key AND s.data IS NULL AND t.source_seq < s.source_seq
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM up)::int AS upserts, (SELECT count(*) FROM del)::int AS deletes`,
      [requestId])) as { upserts: number; deletes: number }[];
    return counts;
  }
}
