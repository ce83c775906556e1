import { MigrationInterface, QueryRunner } from 'typeorm';

/** Key rotation: after a rotation a node's previous key is kept, for what it signed before. */
export class KeyRotation1764320001000 implements MigrationInterface {
  name = 'KeyRotation1764320001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE known_node ADD COLUMN previous_public_key text, ADD COLUMN rotated_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE known_node DROP COLUMN previous_public_key, DROP COLUMN rotated_at`);
  }
}
