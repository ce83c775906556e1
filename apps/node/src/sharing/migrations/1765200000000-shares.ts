import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sharing between institutions (Article 10): each request at both ends under the one UUID the
 * consumer made, `consumer` at the node that asked, `provider` at the entry's origin (the authority
 * on its state). A node asking for its own entry holds both rows.
 */
export class Shares1765200000000 implements MigrationInterface {
  name = 'Shares1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE share_request (
        id uuid NOT NULL,
        side text NOT NULL CHECK (side IN ('consumer', 'provider')),
        entry_id uuid NOT NULL,
        provider char(6) NOT NULL,
        consumer char(6) NOT NULL,
        consumer_institution uuid,
        items jsonb NOT NULL,
        regions jsonb NOT NULL,
        purpose text NOT NULL,
        expires_at timestamptz NOT NULL,
        state text NOT NULL CHECK (state IN ('requested', 'approved', 'granted', 'rejected', 'revoked', 'withdrawn', 'expired')),
        reason text,
        rule text,
        deadline timestamptz,
        history jsonb NOT NULL DEFAULT '[]',
        entry jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        row_seq bigserial NOT NULL,
        PRIMARY KEY (id, side)
      )`);
    await q.query(`CREATE INDEX share_request_side_seq ON share_request (side, row_seq)`);
    // Requests still open: the expiry sweep and the overdue gauge read only these.
    await q.query(`CREATE INDEX share_request_open ON share_request (expires_at) WHERE state IN ('requested', 'approved', 'granted')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS share_request`);
  }
}
