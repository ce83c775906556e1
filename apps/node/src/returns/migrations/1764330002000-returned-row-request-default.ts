import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A chunk's rows go into returned_row with COPY exactly as they arrived (row_key, region_code,
 * source_seq, data): the request they belong to comes from a setting of the writing transaction
 * (`SET LOCAL tdx.returned_row_request`), not from a column put in front of every line in Node
 * (a copy of each megabyte, and its garbage). Without the setting an insert that names no
 * request fails (current_setting raises), so no row can land without one.
 */
export class ReturnedRowRequestDefault1764330002000 implements MigrationInterface {
  name = 'ReturnedRowRequestDefault1764330002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE returned_row ALTER COLUMN request_id SET DEFAULT current_setting('tdx.returned_row_request')::uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE returned_row ALTER COLUMN request_id DROP DEFAULT`);
  }
}
