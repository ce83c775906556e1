import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bounded storage of refused messages: an excerpt, the SHA-256 and size of the whole payload,
 * and a repeat count per (sender, payload) instead of a copy per delivery; the rule and article
 * when a catalog rule refused the record. Existing rows keep what they stored (at most 64 KiB of
 * text, now cut to the excerpt), hashed as stored, and duplicates among them are merged.
 */
export class RejectedMessageBounded1764510300000 implements MigrationInterface {
  name = 'RejectedMessageBounded1764510300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE rejected_message
        ADD COLUMN payload_sha256 char(64),
        ADD COLUMN payload_bytes integer,
        ADD COLUMN repeat_count integer NOT NULL DEFAULT 1 CHECK (repeat_count > 0),
        ADD COLUMN last_received_at timestamptz,
        ADD COLUMN rule text,
        ADD COLUMN article text`);
    await q.query(`
      UPDATE rejected_message SET payload_sha256 = encode(sha256(convert_to(payload, 'UTF8')), 'hex'),
        payload_bytes = octet_length(payload), last_received_at = received_at`);
    await q.query(`
      UPDATE rejected_message r SET repeat_count = d.n, last_received_at = d.last
      FROM (SELECT min(id) AS keep, count(*) AS n, max(received_at) AS last FROM rejected_message GROUP BY sender, payload_sha256) d
      WHERE r.id = d.keep`);
    await q.query(`
      DELETE FROM rejected_message r
      WHERE EXISTS (SELECT 1 FROM rejected_message k WHERE k.sender = r.sender AND k.payload_sha256 = r.payload_sha256 AND k.id < r.id)`);
    await q.query(`UPDATE rejected_message SET payload = left(payload, 2048)`);
    await q.query(`ALTER TABLE rejected_message RENAME COLUMN received_at TO first_received_at`);
    await q.query(`ALTER TABLE rejected_message RENAME COLUMN payload TO payload_excerpt`);
    await q.query(`
      ALTER TABLE rejected_message
        ALTER COLUMN payload_sha256 SET NOT NULL,
        ALTER COLUMN payload_bytes SET NOT NULL,
        ALTER COLUMN last_received_at SET NOT NULL,
        ALTER COLUMN last_received_at SET DEFAULT now()`);
    // One row per sender and payload (a repeat counts); and the per-sender pruning walks (sender, id).
    await q.query(`CREATE UNIQUE INDEX rejected_message_sender_payload ON rejected_message (sender, payload_sha256)`);
    await q.query(`CREATE INDEX rejected_message_sender_id ON rejected_message (sender, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX rejected_message_sender_id`);
    await q.query(`DROP INDEX rejected_message_sender_payload`);
    await q.query(`ALTER TABLE rejected_message RENAME COLUMN payload_excerpt TO payload`);
    await q.query(`ALTER TABLE rejected_message RENAME COLUMN first_received_at TO received_at`);
    await q.query(`
      ALTER TABLE rejected_message DROP COLUMN payload_sha256, DROP COLUMN payload_bytes, DROP COLUMN repeat_count,
        DROP COLUMN last_received_at, DROP COLUMN rule, DROP COLUMN article`);
  }
}
