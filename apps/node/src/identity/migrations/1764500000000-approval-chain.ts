import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The chain of approvals. A join that waits for an operator is a candidate (`join_candidate`),
 * one row per code and key, so that a squatter's join for a code never locks out the genuine
 * node's: the operator sees every key with its fingerprint and approves one. `known_node` keeps
 * only decided identities (approved or revoked), each with the parent's signed approval it was
 * admitted on. `revoked_key` remembers every key revoked for a code, and whether an operator here
 * revoked it (then no record from below re-admits it) or the node's parent did (then the parent's
 * later approval of that key does). `ancestor_node` goes: keys are taken from the trust list only.
 */
export class ApprovalChain1764500000000 implements MigrationInterface {
  name = 'ApprovalChain1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE join_candidate (
        code char(6) NOT NULL,
        public_key text NOT NULL,
        name text NOT NULL,
        level text NOT NULL,
        join_envelope text NOT NULL,
        subject text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'rejected')),
        reason text,
        decided_by text,
        decided_at timestamptz,
        first_seen timestamptz NOT NULL DEFAULT now(),
        last_seen timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 1,
        PRIMARY KEY (code, public_key)
      )`);
    await q.query(`
      CREATE TABLE revoked_key (
        code char(6) NOT NULL,
        public_key text NOT NULL,
        revoked_at timestamptz NOT NULL DEFAULT now(),
        revoked_by text NOT NULL,
        reason text,
        decided_here boolean NOT NULL,
        parent_decision_seq bigint,
        PRIMARY KEY (code, public_key)
      )`);
    // parent_decision_seq: the record sequence of the parent's last approval or revocation applied
    // here, so that a replayed older decision never overrides a newer one.
    await q.query(`ALTER TABLE known_node ADD COLUMN approval_envelope text, ADD COLUMN parent_decision_seq bigint`);
    await q.query(`
      INSERT INTO join_candidate (code, public_key, name, level, join_envelope, subject, status, reason, decided_by, decided_at, first_seen, last_seen)
      SELECT code, public_key, name, level, coalesce(join_envelope, ''), 'migrated', CASE status WHEN 'pending' THEN 'pending' ELSE 'rejected' END,
             reason, decided_by, decided_at, joined_at, joined_at
      FROM known_node WHERE status IN ('pending', 'rejected') AND code = via`);
    await q.query(`
      INSERT INTO revoked_key (code, public_key, revoked_at, revoked_by, reason, decided_here)
      SELECT code, public_key, coalesce(decided_at, now()), coalesce(decided_by, 'unknown'), reason, true FROM known_node WHERE status = 'revoked'`);
    await q.query(`DELETE FROM child_link WHERE child_code IN (SELECT code FROM known_node WHERE status IN ('pending', 'rejected'))`);
    await q.query(`DELETE FROM known_node WHERE status IN ('pending', 'rejected')`);
    await q.query(`DROP TABLE IF EXISTS ancestor_node`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE ancestor_node (code char(6) PRIMARY KEY, name text NOT NULL, public_key text NOT NULL, learned_at timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query(`ALTER TABLE known_node DROP COLUMN approval_envelope, DROP COLUMN parent_decision_seq`);
    await q.query(`DROP TABLE revoked_key`);
    await q.query(`DROP TABLE join_candidate`);
  }
}
