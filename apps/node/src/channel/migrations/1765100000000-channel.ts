import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The channel's durable messages (Article 10). `channel_outbox`: what this node must deliver to
 * another, written in the transaction of the change it announces and kept until the receiver
 * acknowledges it (or refuses it for good). `channel_inbox`: the ids this node has applied, per
 * sender, so that a message sent again (the acknowledgement was lost) is acknowledged, not applied twice.
 */
export class Channel1765100000000 implements MigrationInterface {
  name = 'Channel1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE channel_outbox (
      seq bigserial PRIMARY KEY,
      id uuid NOT NULL UNIQUE,
      peer varchar(6) NOT NULL,
      kind varchar(100) NOT NULL,
      body jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_error text,
      delivered_at timestamptz,
      refused_at timestamptz,
      refusal jsonb
    )`);
    // The relay reads the undelivered messages of each peer in order.
    await q.query(`CREATE INDEX channel_outbox_pending ON channel_outbox (peer, seq) WHERE delivered_at IS NULL AND refused_at IS NULL`);
    await q.query(`CREATE TABLE channel_inbox (
      sender varchar(6) NOT NULL,
      id uuid NOT NULL,
      kind varchar(100) NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (sender, id)
    )`);
    await q.query(`CREATE INDEX channel_inbox_received ON channel_inbox (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE channel_inbox`);
    await q.query(`DROP TABLE channel_outbox`);
  }
}
