import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pruning the oldest part of the audit log, behind a kept anchor (docs/operator-guide.md,
 * "Retention and pruning"). `audit_prune(through)` is the only way to delete records: it writes the
 * last pruned record's number and hash to `audit_prune_anchor` (append-only, checked against the
 * record it names) and deletes that record and everything before it. A verification then starts
 * at the newest anchor: the first remaining record must follow it and point at its hash. The
 * delete trigger lets a DELETE through only inside `audit_prune` and only for records behind an
 * anchor; everything else stays refused as before.
 */
export class AuditPrune1764400600000 implements MigrationInterface {
  name = 'AuditPrune1764400600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_prune_anchor (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        hash char(64) NOT NULL,
        at timestamptz NOT NULL,
        pruned_at timestamptz NOT NULL DEFAULT now()
      )`);
    // An anchor must name a record as it is, beyond every earlier anchor.
    await q.query(`
      CREATE FUNCTION audit_prune_anchor_check() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM audit_record WHERE seq = NEW.seq AND hash = NEW.hash AND at = NEW.at) THEN
          RAISE EXCEPTION 'audit prune anchor % does not name a record of the log as it is', NEW.seq USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF EXISTS (SELECT 1 FROM audit_prune_anchor WHERE seq >= NEW.seq) THEN
          RAISE EXCEPTION 'audit prune anchor % is not beyond the last one', NEW.seq USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER audit_prune_anchor_check BEFORE INSERT ON audit_prune_anchor FOR EACH ROW EXECUTE FUNCTION audit_prune_anchor_check()`);
    await q.query(
      `CREATE TRIGGER audit_prune_anchor_append_only BEFORE UPDATE OR DELETE ON audit_prune_anchor FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`,
    );
    await q.query(
      `CREATE TRIGGER audit_prune_anchor_no_truncate BEFORE TRUNCATE ON audit_prune_anchor FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`,
    );

    // Records stay append-only, but for a prefix that audit_prune is deleting behind its anchor.
    await q.query(`
      CREATE FUNCTION audit_record_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE'
           AND OLD.seq <= coalesce(nullif(current_setting('tdx.audit_pruning_through', true), '')::bigint, 0)
           AND OLD.seq <= (SELECT coalesce(max(seq), 0) FROM audit_prune_anchor) THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`DROP TRIGGER audit_record_append_only ON audit_record`);
    await q.query(`CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record FOR EACH ROW EXECUTE FUNCTION audit_record_guard()`);

    // Under the head lock, like an append: nothing is written to the log while a prefix goes.
    await q.query(`
      CREATE FUNCTION audit_prune(through bigint) RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE
        head audit_head%ROWTYPE;
        last audit_record%ROWTYPE;
        deleted bigint;
      BEGIN
        SELECT * INTO head FROM audit_head WHERE id = 1 FOR UPDATE;
        IF through >= head.seq THEN
          RAISE EXCEPTION 'audit prune through % would leave no record after it (the head is %)', through, head.seq USING ERRCODE = 'check_violation';
        END IF;
        SELECT * INTO last FROM audit_record WHERE seq = through;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'audit record % is not in the log: pruned already, or never written', through USING ERRCODE = 'no_data_found';
        END IF;
        INSERT INTO audit_prune_anchor (seq, hash, at) VALUES (last.seq, last.hash, last.at);
        PERFORM set_config('tdx.audit_pruning_through', through::text, true);
        DELETE FROM audit_record WHERE seq <= through;
        GET DIAGNOSTICS deleted = ROW_COUNT;
        PERFORM set_config('tdx.audit_pruning_through', '', true);
        RETURN deleted;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION audit_prune(bigint)`);
    await q.query(`DROP TRIGGER audit_record_append_only ON audit_record`);
    await q.query(`CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
    await q.query(`DROP FUNCTION audit_record_guard()`);
    await q.query(`DROP TABLE audit_prune_anchor`);
    await q.query(`DROP FUNCTION audit_prune_anchor_check()`);
  }
}
