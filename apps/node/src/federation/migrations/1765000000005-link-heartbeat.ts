import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When this node last saw each child (a heartbeat, or the stream storing one of its records), the
 * signing time of the child's last heartbeat taken (a heartbeat not newer is a replay), and what
 * that heartbeat reported: the child's outbox backlog and the joins pending in its subtree.
 */
export class LinkHeartbeat1765000000005 implements MigrationInterface {
  name = 'LinkHeartbeat1765000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE child_link
        ADD COLUMN last_seen_at timestamptz,
        ADD COLUMN last_heartbeat_at timestamptz,
        ADD COLUMN heartbeat_signed_at timestamptz,
        ADD COLUMN heartbeat_interval_seconds integer,
        ADD COLUMN reported_backlog bigint,
        ADD COLUMN reported_pending_joins jsonb NOT NULL DEFAULT '[]'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE child_link
        DROP COLUMN last_seen_at, DROP COLUMN last_heartbeat_at, DROP COLUMN heartbeat_signed_at,
        DROP COLUMN heartbeat_interval_seconds, DROP COLUMN reported_backlog, DROP COLUMN reported_pending_joins`);
  }
}
