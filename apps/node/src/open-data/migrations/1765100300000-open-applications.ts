import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Applications for restricted open data. A row is kept at the node the applicant used
 * (applied_at) and at the entry's origin, which decides; one row serves both when they are the
 * same node. Only the SHA-256 of the applicant's token is kept: the token is 256 random bits, so a
 * fast hash suffices and lets the origin find the application by it.
 */
export class OpenApplications1765100300000 implements MigrationInterface {
  name = 'OpenApplications1765100300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE open_application (
      id uuid PRIMARY KEY,
      entry_id uuid NOT NULL,
      origin text NOT NULL,
      applied_at text NOT NULL,
      applicant_name text NOT NULL,
      organisation text NOT NULL,
      contact text NOT NULL,
      purpose text NOT NULL,
      token_hash text NOT NULL,
      state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
      reason text,
      decided_by text,
      decided_at timestamptz,
      expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      row_seq bigserial NOT NULL
    )`);
    await q.query(`CREATE INDEX open_application_token ON open_application (token_hash)`);
    await q.query(`CREATE INDEX open_application_origin ON open_application (origin, row_seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE open_application`);
  }
}
