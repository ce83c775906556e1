import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log: `audit_record`, hash-chained, append-only, and `audit_head`, the one row
 * that says where the chain ends. Appends are linear because every insert locks the head row; the
 * database itself refuses records that do not continue the chain, and any UPDATE, DELETE or
 * TRUNCATE of a record. Someone able to switch those triggers off (a superuser) can still tamper:
 * the hash chain is what detects it (see docs/operator-guide.md, "Audit log").
 */
export class AuditLog1764400500000 implements MigrationInterface {
  name = 'AuditLog1764400500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_record (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        target text,
        outcome text NOT NULL,
        details jsonb NOT NULL,
        prev_hash char(64) NOT NULL,
        hash char(64) NOT NULL
      )`);
    // The list's filters; each is followed by seq, the keyset order.
    await q.query(`CREATE INDEX audit_record_at ON audit_record (at)`);
    await q.query(`CREATE INDEX audit_record_actor ON audit_record (actor, seq)`);
    await q.query(`CREATE INDEX audit_record_action ON audit_record (action, seq)`);
    await q.query(`CREATE INDEX audit_record_target ON audit_record (target, seq)`);

    await q.query(`
      CREATE TABLE audit_head (
        id smallint PRIMARY KEY CHECK (id = 1),
        seq bigint NOT NULL,
        hash char(64) NOT NULL
      )`);
    await q.query(`INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64))`);

    // A record must continue the chain exactly where the head stands; the head then moves to it.
    // FOR UPDATE: a second writer waits here until the first commits, so the chain stays linear.
    await q.query(`
      CREATE FUNCTION audit_record_continue_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE head audit_head%ROWTYPE;
      BEGIN
        SELECT * INTO head FROM audit_head WHERE id = 1 FOR UPDATE;
        IF NEW.seq <> head.seq + 1 OR NEW.prev_hash <> head.hash THEN
          RAISE EXCEPTION 'audit record % does not continue the chain at %', NEW.seq, head.seq USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER audit_record_chain BEFORE INSERT ON audit_record FOR EACH ROW EXECUTE FUNCTION audit_record_continue_chain()`);

    await q.query(`
      CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
    // The head moves only from the chain trigger above, never by a statement of its own.
    await q.query(`
      CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN RETURN NEW; END IF;
        RAISE EXCEPTION 'audit_head moves only with an appended record: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_head FOR EACH ROW EXECUTE FUNCTION audit_head_guard()`);
    await q.query(`CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_record`);
    await q.query(`DROP TABLE audit_head`);
    await q.query(`DROP FUNCTION audit_record_continue_chain(), audit_refuse_change(), audit_head_guard()`);
  }
}
