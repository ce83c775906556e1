import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `worker_lease`: which replica of this node runs each background task that must run once at a
 * time (the outbox relay, each child link's worker, the channel relay, the return transfers).
 * `generation` grows by one at every hand-over: it is the fencing token a holder's transactions
 * check, so a replica that paused past its lease can no longer commit work for it.
 */
export class WorkerLease1765300000000 implements MigrationInterface {
  name = 'WorkerLease1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE worker_lease (
      name varchar(100) PRIMARY KEY,
      holder varchar(200) NOT NULL,
      generation bigint NOT NULL,
      acquired_at timestamptz NOT NULL DEFAULT now(),
      renewed_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE worker_lease`);
  }
}
