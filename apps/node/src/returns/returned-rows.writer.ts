import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { copyIn } from '../database/copy';
import { checkChunk, ChunkRefused } from './return-chunk';
import type { Jurisdiction } from '../datasets/dataset-changes.sql';

const CARDINALITY_VIOLATION = '21000';

export interface ChunkToApply {
  after: number;
  through: number;
  rows: number;
  /** The rows in COPY text format, checksum and signature already verified. */
  attachment: Buffer;
}

/**
 * Writes a chunk into returned_row at the receiver. The chunk is checked first (checkChunk: count,
 * sequence range, jurisdiction, shape); then, in one transaction, its rows are written and its
 * range recorded, so a crash leaves either all of it or none.
 *
 * Rows are written one of two ways. A full transfer's chunk without deletions is first tried
 * straight into returned_row with COPY (the common case: none of its rows is there yet); a row
 * that is there already makes the COPY fail on the primary key, and the chunk is written the
 * general way instead, from the same transaction (a savepoint): COPY into a staging table, then
 * an upsert and a delete that never replace a newer `source_seq`. Either way a chunk written
 * again (after a crash, from the cursor) changes nothing it should not.
 *
 * Chunks may commit out of order (the transfer writes them in order, but the writer does not rely
 * on it): a range committed ahead of the job's cursor waits in return_job_range, and whichever
 * commit closes the gap moves the cursor over every range that now follows it without a gap
 * (adding their counts).
 */
@Injectable()
export class ReturnedRowsWriter {
  constructor(private readonly dataSource: DataSource) {}

  /** Forgets ranges committed ahead of the cursor by an earlier run of the job: they will be pulled again. */
  async forgetRangesAhead(jobId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM return_job_range WHERE job_id = $1`, [jobId]);
  }

  /**
   * `lastly`: more writes of the same transaction, after the rows and the range (the audit record of the chunk).
   * `cursor`: where the transfer records its progress, in the chunk's transaction; a return job's by
   * default. `job.requestId` names the rows in returned_row (a return request's id, or a share's).
   */
  async apply(
    job: { id: string; requestId: string; kind: 'full' | 'incremental' },
    jurisdiction: Jurisdiction,
    chunk: ChunkToApply,
    lastly?: (manager: EntityManager) => Promise<void>,
    cursor: ChunkCursor = returnJobCursor(job.id),
  ): Promise<{ upserts: number; deletes: number }> {
    const { deletions } = checkChunk(chunk.attachment, { ...chunk, jurisdiction });
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      await runner.startTransaction();
      // Rows and range commit together, so a commit lost in a database crash only makes the job
      // pull that chunk again: there is nothing to gain from waiting for the WAL flush. The request
      // is the default of returned_row.request_id for a COPY straight in (migration ReturnedRowRequestDefault).
      await runner.query(`SELECT set_config('synchronous_commit', 'off', true), set_config('tdx.returned_row_request', $1, true)`, [job.requestId]);
      const counts =
        chunk.rows === 0
          ? { upserts: 0, deletes: 0 }
          : (job.kind === 'full' && deletions === 0 && (await this.copyStraightIn(runner, client, chunk))) ||
            (await this.stageAndMerge(runner, client, job.requestId, chunk, deletions));
      await cursor.advance(runner.manager, chunk, counts);
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

  /** COPY into returned_row itself, under a savepoint; false (rolled back) when any row is there already or the load fails. */
  private async copyStraightIn(runner: QueryRunner, client: PoolClient, chunk: ChunkToApply): Promise<{ upserts: number; deletes: number } | false> {
    await runner.query('SAVEPOINT straight_in');
    try {
      // request_id takes its default from the transaction's setting (see apply).
      // The savepoint is left open: the commit takes its work with the rest, one round trip fewer.
      await copyIn(client, 'COPY returned_row (row_key, region_code, source_seq, data) FROM STDIN', chunk.attachment);
      return { upserts: chunk.rows, deletes: 0 };
    } catch {
      // A row already there (a chunk written again), or rows the database refuses: the general way
      // writes the first kind and names the second.
      await runner.query('ROLLBACK TO SAVEPOINT straight_in');
      return false;
    }
  }

  private async stageAndMerge(
    runner: QueryRunner,
    client: PoolClient,
    requestId: string,
    chunk: ChunkToApply,
    deletions: number,
  ): Promise<{ upserts: number; deletes: number }> {
    // Temporary, so never WAL-logged; emptied at every commit or rollback.
    await runner.query(`CREATE TEMP TABLE IF NOT EXISTS return_stage
      (row_key text NOT NULL, region_code text NOT NULL, source_seq bigint NOT NULL, data jsonb) ON COMMIT DELETE ROWS`);
    try {
      await copyIn(client, 'COPY return_stage (row_key, region_code, source_seq, data) FROM STDIN', chunk.attachment);
    } catch (error) {
      throw new ChunkRefused(`the chunk's rows are not well-formed: ${(error as Error).message}`, false);
    }
    const merged = runner.query(
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
      [requestId, deletions > 0],
    ) as Promise<{ upserts: number; deletes: number }[]>;
    try {
      return (await merged)[0];
    } catch (error) {
      // The upsert cannot touch a row twice: a key given twice in one chunk.
      if ((error as { code?: string }).code === CARDINALITY_VIOLATION) throw new ChunkRefused('the chunk gives a row key twice', false);
      throw error;
    }
  }
}

/**
 * Where a transfer records how far it has come, in the chunk's own transaction (with its rows): a
 * return job (return_job and return_job_range), or a share delivery (share_delivery). Refuses
 * (ChunkRefused) a chunk that does not continue from the committed cursor, so a chunk is never
 * applied twice nor a range skipped.
 */
export interface ChunkCursor {
  advance(manager: EntityManager, chunk: ChunkToApply, counts: { upserts: number; deletes: number }): Promise<void>;
}

/** A return job's cursor: ranges may commit out of order (see ReturnedRowsWriter). */
function returnJobCursor(jobId: string): ChunkCursor {
  const job = { id: jobId };
  return {
    async advance(manager, chunk, counts) {
      // The job row's lock, taken last, orders the commits of one job's chunks; the heavy work above runs in parallel.
      const [current] = await manager.query(`SELECT after_seq FROM return_job WHERE id = $1 AND state IN ('queued', 'running') FOR UPDATE`, [job.id]);
      if (!current || Number(current.after_seq) > chunk.after) throw new ChunkRefused('the chunk does not continue from the committed cursor', false);
      await manager.query(`INSERT INTO return_job_range (job_id, after_seq, through_seq, rows, upserts, deletes) VALUES ($1, $2, $3, $4, $5, $6)`, [
        job.id,
        chunk.after,
        chunk.through,
        chunk.rows,
        counts.upserts,
        counts.deletes,
      ]);
      await manager.query(
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
        [job.id, Number(current.after_seq)],
      );
    },
  };
}
