import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A dataset row whose region code changes leaves the jurisdiction of every receiver that held it
 * under its old code. The row itself now only says where it is, so each move is kept: from which
 * region, at which change. A return to a jurisdiction the row left sends it as a deletion
 * (returns.repository.ts, chunkCopySql), unless the row is back inside that jurisdiction.
 *
 * A trigger keeps the moves, so every writer of dataset_row (the load's merge, an upsert, a
 * test's SQL) is covered; its WHEN clause keeps it off the rows whose region does not change.
 */
export class RegionMoves1764330003000 implements MigrationInterface {
  name = 'RegionMoves1764330003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dataset_region_move (
        entry_id uuid NOT NULL,
        row_key text NOT NULL,
        from_region text NOT NULL,
        -- The change that moved the row: the row's change_seq after the move.
        change_seq bigint NOT NULL,
        PRIMARY KEY (entry_id, from_region, change_seq, row_key)
      )`);
    await q.query(`CREATE INDEX dataset_region_move_prefix ON dataset_region_move (entry_id, from_region text_pattern_ops, change_seq)`);
    await q.query(`
      CREATE FUNCTION dataset_row_region_moved() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        INSERT INTO dataset_region_move (entry_id, row_key, from_region, change_seq)
        VALUES (OLD.entry_id, OLD.row_key, OLD.region_code, NEW.change_seq);
        RETURN NULL;
      END $fn$`);
    // A tombstone has already been sent where it was; only a live row's move takes it from a receiver.
    await q.query(`
      CREATE TRIGGER dataset_row_region_moved AFTER UPDATE OF region_code ON dataset_row
      FOR EACH ROW WHEN (OLD.region_code IS DISTINCT FROM NEW.region_code AND NOT OLD.deleted)
      EXECUTE FUNCTION dataset_row_region_moved()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER dataset_row_region_moved ON dataset_row`);
    await q.query(`DROP FUNCTION dataset_row_region_moved()`);
    await q.query(`DROP TABLE dataset_region_move`);
  }
}
