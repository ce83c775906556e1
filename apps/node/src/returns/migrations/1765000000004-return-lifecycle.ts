import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The end of a request (withdrawn by its requester, revoked by the holder, ended when its entry is
 * retired or no longer shared), a job cancelled with it, and what a failing job waits for: its
 * failed attempts in a row and when it tries next. At the receiver, a request remembers when it
 * last asked the holder for changes, so a re-sync that finds none leaves no job behind.
 */
export class ReturnLifecycle1765000000004 implements MigrationInterface {
  name = 'ReturnLifecycle1765000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE return_request DROP CONSTRAINT return_request_state_check`);
    await q.query(`ALTER TABLE return_request ADD CONSTRAINT return_request_state_check
      CHECK (state IN ('pending', 'granted', 'rejected', 'refused', 'withdrawn', 'revoked', 'ended'))`);
    await q.query(`ALTER TABLE return_request ADD COLUMN last_checked_at timestamptz, ADD COLUMN last_sync_at timestamptz`);
    // Requests received before: their last finished transfer is their last sync.
    await q.query(`UPDATE return_request r SET last_sync_at = j.at, last_checked_at = j.at
      FROM (SELECT request_id, max(finished_at) AS at FROM return_job WHERE state = 'done' GROUP BY request_id) j WHERE j.request_id = r.id`);
    // The zero-row re-syncs that realtime grants left every 5 s say nothing the request's
    // last_checked_at (set just above) does not: the job list keeps the jobs that moved rows.
    await q.query(`DELETE FROM return_job j WHERE kind = 'incremental' AND state = 'done' AND rows_done = 0
      AND NOT EXISTS (SELECT 1 FROM return_job_range r WHERE r.job_id = j.id)`);
    await q.query(`ALTER TABLE return_job DROP CONSTRAINT return_job_state_check`);
    await q.query(`ALTER TABLE return_job ADD CONSTRAINT return_job_state_check CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled'))`);
    await q.query(`ALTER TABLE return_job ADD COLUMN attempts integer NOT NULL DEFAULT 0, ADD COLUMN next_attempt_at timestamptz`);
    // The city's view of its subtree's requests at the holder pages incoming requests by requester.
    await q.query(`CREATE INDEX return_request_incoming_requester ON return_request (requester, row_seq) WHERE direction = 'incoming'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX return_request_incoming_requester`);
    await q.query(`ALTER TABLE return_job DROP COLUMN attempts, DROP COLUMN next_attempt_at`);
    await q.query(`UPDATE return_job SET state = 'failed' WHERE state = 'cancelled'`);
    await q.query(`ALTER TABLE return_job DROP CONSTRAINT return_job_state_check`);
    await q.query(`ALTER TABLE return_job ADD CONSTRAINT return_job_state_check CHECK (state IN ('queued', 'running', 'done', 'failed'))`);
    await q.query(`ALTER TABLE return_request DROP COLUMN last_checked_at, DROP COLUMN last_sync_at`);
    await q.query(`UPDATE return_request SET state = 'rejected' WHERE state IN ('withdrawn', 'revoked', 'ended')`);
    await q.query(`ALTER TABLE return_request DROP CONSTRAINT return_request_state_check`);
    await q.query(`ALTER TABLE return_request ADD CONSTRAINT return_request_state_check CHECK (state IN ('pending', 'granted', 'rejected', 'refused'))`);
  }
}
