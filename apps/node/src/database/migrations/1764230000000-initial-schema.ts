import { MigrationInterface, QueryRunner } from 'typeorm';

/** Institutions, catalog entries (local and replicas), the outbox, and federation link state. */
export class InitialSchema1764230000000 implements MigrationInterface {
  name = 'InitialSchema1764230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE institution (
        id uuid PRIMARY KEY,
        origin char(6) NOT NULL,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('government', 'public-service', 'state-department')),
        credit_code char(18),
        status text NOT NULL CHECK (status IN ('active', 'retired')),
        version integer NOT NULL CHECK (version > 0),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        row_seq bigserial NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX institution_origin_credit_code ON institution (origin, credit_code) WHERE credit_code IS NOT NULL`);
    await q.query(`CREATE INDEX institution_row_seq ON institution (row_seq)`);

    await q.query(`
      CREATE TABLE catalog_entry (
        id uuid PRIMARY KEY,
        origin char(6) NOT NULL,
        code text NOT NULL,
        type text NOT NULL CHECK (type IN ('data', 'application', 'component', 'compute')),
        name text NOT NULL,
        summary text NOT NULL,
        provider_id uuid NOT NULL,
        category text NOT NULL,
        grade text NOT NULL CHECK (grade IN ('L1', 'L2', 'L3', 'L4')),
        share_type text NOT NULL CHECK (share_type IN ('unconditional', 'conditional', 'none')),
        share_condition text,
        legal_basis text,
        open_type text NOT NULL CHECK (open_type IN ('unconditional', 'restricted', 'prohibited')),
        update_cycle text NOT NULL,
        format text,
        region_scope char(6) NOT NULL,
        data_items jsonb NOT NULL DEFAULT '[]',
        related_resources jsonb NOT NULL DEFAULT '[]',
        release_date date,
        status text NOT NULL CHECK (status IN ('active', 'retired')),
        version integer NOT NULL CHECK (version > 0),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        row_seq bigserial NOT NULL
      )`);
    // Codes are unique per origin: two counties may pick the same code, and the province holds both.
    await q.query(`CREATE UNIQUE INDEX catalog_entry_origin_code ON catalog_entry (origin, code)`);
    await q.query(`CREATE UNIQUE INDEX catalog_entry_row_seq ON catalog_entry (row_seq)`);
    await q.query(`CREATE INDEX catalog_entry_origin_id ON catalog_entry (origin, id)`);
    await q.query(`CREATE SEQUENCE entry_code_seq`);

    // Every record this node sends upward, its own and forwarded, until the parent's stream acknowledges it.
    await q.query(`
      CREATE TABLE outbox (
        seq bigserial PRIMARY KEY,
        origin char(6) NOT NULL,
        kind text NOT NULL,
        payload text NOT NULL,
        sig text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Sequence of records this node originates (the `seq` inside its signed records).
    await q.query(`CREATE SEQUENCE record_seq`);

    // Nodes below this one whose keys it knows: direct children (via = code) and their descendants.
    await q.query(`
      CREATE TABLE known_node (
        code char(6) PRIMARY KEY,
        name text NOT NULL,
        level text NOT NULL,
        parent_code char(6) NOT NULL,
        public_key text NOT NULL,
        via char(6) NOT NULL,
        joined_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE child_link (
        child_code char(6) PRIMARY KEY REFERENCES known_node (code),
        last_stream_seq bigint NOT NULL DEFAULT 0,
        last_origin char(6),
        last_origin_seq bigint,
        last_record_at timestamptz,
        last_applied_at timestamptz,
        applied_count bigint NOT NULL DEFAULT 0,
        skipped_count bigint NOT NULL DEFAULT 0,
        rejected_count bigint NOT NULL DEFAULT 0,
        last_error text,
        last_error_at timestamptz
      )`);

    await q.query(`
      CREATE TABLE parent_link (
        parent_code char(6) PRIMARY KEY,
        parent_name text,
        parent_public_key text,
        joined_at timestamptz,
        last_published_seq bigint NOT NULL DEFAULT 0,
        last_published_at timestamptz,
        published_count bigint NOT NULL DEFAULT 0,
        last_error text,
        last_error_at timestamptz
      )`);

    // Messages refused on receipt (bad signature, wrong attribution, malformed), kept for operators.
    await q.query(`
      CREATE TABLE rejected_message (
        id bigserial PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now(),
        sender char(6) NOT NULL,
        claimed_origin text,
        reason text NOT NULL,
        payload text NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['rejected_message', 'parent_link', 'child_link', 'known_node', 'outbox', 'catalog_entry', 'institution']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await q.query(`DROP SEQUENCE IF EXISTS record_seq`);
    await q.query(`DROP SEQUENCE IF EXISTS entry_code_seq`);
  }
}
