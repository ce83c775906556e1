import { MigrationInterface, QueryRunner } from 'typeorm';

/** Local accounts, their roles, refresh-token families, and the node's sign-in settings. */
export class Accounts1764400000000 implements MigrationInterface {
  name = 'Accounts1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE account (
        id uuid PRIMARY KEY,
        username text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
        password_hash text NOT NULL,
        disabled boolean NOT NULL DEFAULT false,
        -- Access tokens issued before this instant are refused (a password reset or a disable ends every session).
        sessions_valid_after timestamptz NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        row_seq bigserial NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX account_username ON account (username)`);
    await q.query(`CREATE UNIQUE INDEX account_row_seq ON account (row_seq)`);

    // Institution roles name their institution; the others must not.
    await q.query(`
      CREATE TABLE account_role (
        account_id uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('province-operator', 'municipal-admin', 'county-operator', 'institution-admin', 'institution-user', 'auditor')),
        institution_id uuid REFERENCES institution (id),
        CHECK ((role IN ('institution-admin', 'institution-user')) = (institution_id IS NOT NULL))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX account_role_unique ON account_role (account_id, role, COALESCE(institution_id, '00000000-0000-0000-0000-000000000000'))`,
    );
    await q.query(`CREATE INDEX account_role_institution ON account_role (institution_id) WHERE institution_id IS NOT NULL`);

    // Refresh tokens are stored as SHA-256 hashes only. A family is one sign-in and its rotations:
    // presenting a rotated (used) token again revokes the whole family.
    await q.query(`
      CREATE TABLE refresh_token (
        id uuid PRIMARY KEY,
        family_id uuid NOT NULL,
        account_id uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
        token_hash char(64) NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX refresh_token_hash ON refresh_token (token_hash)`);
    await q.query(`CREATE INDEX refresh_token_family ON refresh_token (family_id)`);
    await q.query(`CREATE INDEX refresh_token_account ON refresh_token (account_id)`);

    // The access-token signing secret and, until the first account exists, the setup token's hash.
    await q.query(`CREATE TABLE auth_setting (name text PRIMARY KEY, value text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE auth_setting`);
    await q.query(`DROP TABLE refresh_token`);
    await q.query(`DROP TABLE account_role`);
    await q.query(`DROP TABLE account`);
  }
}
