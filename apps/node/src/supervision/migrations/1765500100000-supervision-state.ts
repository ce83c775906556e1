import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `supervision_state`: the newest version of every supervision state this node holds, its own and
 * its subtree's, each with the signed text (`payload`, `sig`) its origin published, so that any
 * tier can show which node vouched for a figure and anyone can verify it.
 */
export class SupervisionState1765500100000 implements MigrationInterface {
  name = 'SupervisionState1765500100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE supervision_state (
      origin text NOT NULL CHECK (origin ~ '^[0-9]{6}$'),
      topic text NOT NULL,
      key text NOT NULL,
      version bigint NOT NULL CHECK (version > 0),
      computed_at timestamptz NOT NULL,
      data jsonb NOT NULL,
      payload text NOT NULL,
      sig text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (topic, origin, key)
    )`);
    // Subtree reads: a topic's states whose origin starts with a prefix.
    await q.query(`CREATE INDEX supervision_state_origin ON supervision_state (topic, origin text_pattern_ops, key)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE supervision_state`);
  }
}
