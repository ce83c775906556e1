import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dataset content of this node's own `data` entries: one generic table for every dataset (see
 * docs/architecture.md, "Dataset content"). `change_seq` orders every insert, real change and
 * deletion, so incremental sync reads `change_seq > last applied`; deletions stay as tombstones.
 */
export class DatasetContent1764300000000 implements MigrationInterface {
  name = 'DatasetContent1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE dataset_change_seq`);
    await q.query(`
      CREATE TABLE dataset_row (
        entry_id uuid NOT NULL REFERENCES catalog_entry (id),
        row_key text NOT NULL,
        region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
        data jsonb,
        deleted boolean NOT NULL DEFAULT false,
        change_seq bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (entry_id, row_key)
      )`);
    // Incremental sync: the changes of one dataset after a given sequence, in order.
    await q.query(`CREATE INDEX dataset_row_entry_change_seq ON dataset_row (entry_id, change_seq)`);
    // Jurisdiction filters: region_code LIKE '3301%' uses this index whatever the database collation.
    await q.query(`CREATE INDEX dataset_row_entry_region ON dataset_row (entry_id, region_code text_pattern_ops)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dataset_row`);
    await q.query(`DROP SEQUENCE dataset_change_seq`);
  }
}
