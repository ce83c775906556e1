import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Chunks of a transfer are written several at once, each in its own transaction, so they can
 * commit out of order: return_job_range keeps the ranges committed ahead of the job's cursor
 * until the ranges before them have committed too (see returned-rows.writer.ts).
 *
 * Returned rows are written a chunk at a time at tens of thousands of rows a second, and each
 * index and foreign-key check costs a large share of that (measured: the foreign key 7 ms and the
 * region index 3 ms of 21 ms per 2,000 rows). The foreign key adds no safety: rows are only
 * written in the transaction that advances a job of the same request (return_job references
 * return_request). The region filter of the rows API walks the primary key in row-key order
 * instead, which is what it pages by anyway.
 */
export class ReturnedRowsParallelWrites1764310001000 implements MigrationInterface {
  name = 'ReturnedRowsParallelWrites1764310001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE returned_row DROP CONSTRAINT returned_row_request_id_fkey`);
    await q.query(`DROP INDEX returned_row_region`);
    await q.query(`
      CREATE TABLE return_job_range (
        job_id uuid NOT NULL REFERENCES return_job (id),
        after_seq bigint NOT NULL,
        through_seq bigint NOT NULL,
        rows bigint NOT NULL,
        upserts bigint NOT NULL,
        deletes bigint NOT NULL,
        PRIMARY KEY (job_id, after_seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE return_job_range`);
    await q.query(`CREATE INDEX returned_row_region ON returned_row (request_id, region_code text_pattern_ops)`);
    await q.query(`ALTER TABLE returned_row ADD CONSTRAINT returned_row_request_id_fkey FOREIGN KEY (request_id) REFERENCES return_request (id)`);
  }
}
