import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Return reads select a jurisdiction's changes in a range of change_seq. With change_seq in the
 * region index, a county's range is one index range scan instead of every row of the county, and
 * with `deleted` included a return plan reads the index only (once VACUUM has marked the pages).
 */
export class RegionChangeSeqIndex1764310000000 implements MigrationInterface {
  name = 'RegionChangeSeqIndex1764310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX dataset_row_entry_region_seq ON dataset_row (entry_id, region_code text_pattern_ops, change_seq) INCLUDE (deleted)`);
    await q.query(`DROP INDEX dataset_row_entry_region`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX dataset_row_entry_region ON dataset_row (entry_id, region_code text_pattern_ops)`);
    await q.query(`DROP INDEX dataset_row_entry_region_seq`);
  }
}
