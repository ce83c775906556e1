import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Return of data downward (Article 9): requests at both ends, transfer jobs and returned rows at
 * the receiver, and the keys of this node's ancestors above its parent (to verify what they send).
 */
export class Returns1764300001000 implements MigrationInterface {
  name = 'Returns1764300001000';

  async up(q: QueryRunner): Promise<void> {
    // Learnt from the parent's join reply; the parent's own key stays in parent_link.
    await q.query(`
      CREATE TABLE ancestor_node (
        code char(6) PRIMARY KEY,
        name text NOT NULL,
        public_key text NOT NULL,
        learned_at timestamptz NOT NULL DEFAULT now()
      )`);

    // One row per request at each end: outgoing at the requester (a mirror of the holder's
    // decision and history), incoming at the holder (the authority on state and history).
    await q.query(`
      CREATE TABLE return_request (
        id uuid PRIMARY KEY,
        direction text NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
        entry_id uuid NOT NULL,
        holder char(6) NOT NULL,
        requester char(6) NOT NULL,
        scope text NOT NULL CHECK (scope IN ('self', 'subtree')),
        purpose text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'granted', 'rejected', 'refused')),
        reason text,
        history jsonb NOT NULL DEFAULT '[]',
        -- Receiver only: its own transfer events, shown merged with the holder's history.
        local_events jsonb NOT NULL DEFAULT '[]',
        entry jsonb NOT NULL,
        -- Receiver only: the source change sequence up to which the returned rows are complete.
        applied_seq bigint NOT NULL DEFAULT 0,
        -- Holder only: what has crossed the boundary for this request.
        rows_sent bigint NOT NULL DEFAULT 0,
        pass_rows bigint NOT NULL DEFAULT 0,
        last_sent_seq bigint,
        last_sent_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        row_seq bigserial NOT NULL
      )`);
    await q.query(`CREATE INDEX return_request_direction_seq ON return_request (direction, row_seq)`);

    await q.query(`
      CREATE TABLE return_job (
        id uuid PRIMARY KEY,
        request_id uuid NOT NULL REFERENCES return_request (id),
        kind text NOT NULL CHECK (kind IN ('full', 'incremental')),
        state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
        -- The transfer cursor: the last source change sequence applied, committed with the rows.
        after_seq bigint NOT NULL DEFAULT 0,
        tombstones_after bigint,
        rows_done bigint NOT NULL DEFAULT 0,
        rows_total bigint,
        upserts bigint NOT NULL DEFAULT 0,
        deletes bigint NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        row_seq bigserial NOT NULL
      )`);
    // At most one job in flight per request.
    await q.query(`CREATE UNIQUE INDEX return_job_one_active ON return_job (request_id) WHERE state IN ('queued', 'running')`);
    await q.query(`CREATE INDEX return_job_request_seq ON return_job (request_id, row_seq)`);

    await q.query(`
      CREATE TABLE returned_row (
        request_id uuid NOT NULL REFERENCES return_request (id),
        row_key text NOT NULL,
        region_code text NOT NULL,
        data jsonb NOT NULL,
        source_seq bigint NOT NULL,
        PRIMARY KEY (request_id, row_key)
      )`);
    await q.query(`CREATE INDEX returned_row_region ON returned_row (request_id, region_code text_pattern_ops)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['returned_row', 'return_job', 'return_request', 'ancestor_node']) await q.query(`DROP TABLE IF EXISTS ${table}`);
  }
}
