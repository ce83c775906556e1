import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Node identity: a node is admitted only on its parent's approval. A direct child's join waits for an operator (status `pending`, with
 * the signed join kept to forward once approved); an operator can reject it or later revoke a
 * node. Nodes that joined before this migration were accepted on first use: they stay approved.
 * `trust_list` holds the newest verified copy of the province's signed trust list.
 */
export class NodeIdentity1764320000000 implements MigrationInterface {
  name = 'NodeIdentity1764320000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE known_node
        ADD COLUMN status text NOT NULL DEFAULT 'approved' CHECK (status IN ('pending', 'approved', 'rejected', 'revoked')),
        ADD COLUMN join_envelope text,
        ADD COLUMN decided_at timestamptz,
        ADD COLUMN decided_by text,
        ADD COLUMN reason text`);
    await q.query(`
      CREATE TABLE trust_list (
        id smallint PRIMARY KEY CHECK (id = 1),
        issuer char(6) NOT NULL,
        version bigint NOT NULL,
        issued_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        payload text NOT NULL,
        sig text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE trust_list`);
    await q.query(`ALTER TABLE known_node DROP COLUMN status, DROP COLUMN join_envelope, DROP COLUMN decided_at, DROP COLUMN decided_by, DROP COLUMN reason`);
  }
}
