import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `quality_rule_set`: every rule set an operator stored, numbered; the highest is in force (none:
 * the built-in version 1). `quality_result`: the latest check of each of this node's entries, with
 * its tallies per rule and a few row keys per defect rule, from which institution and node scores
 * are pooled and the entry detail is answered.
 */
export class Quality1765600100000 implements MigrationInterface {
  name = 'Quality1765600100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE quality_rule_set (
      version integer PRIMARY KEY CHECK (version > 1),
      body jsonb NOT NULL,
      set_at timestamptz NOT NULL DEFAULT now(),
      set_by text NOT NULL
    )`);
    await q.query(`CREATE TABLE quality_result (
      entry_id uuid PRIMARY KEY REFERENCES catalog_entry (id),
      institution_id uuid NOT NULL,
      rule_set_version integer NOT NULL,
      checked_at timestamptz NOT NULL,
      rows bigint NOT NULL,
      tallies jsonb NOT NULL,
      samples jsonb NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE quality_result`);
    await q.query(`DROP TABLE quality_rule_set`);
  }
}
