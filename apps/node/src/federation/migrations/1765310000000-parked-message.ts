import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Parked records: signed records from a trusted origin that this release cannot read (a newer
 * protocol version, an unknown kind), kept whole to be read again after an upgrade. A new table
 * only (an expand step): a previous release running against this database never touches it.
 */
export class ParkedMessage1765310000000 implements MigrationInterface {
  name = 'ParkedMessage1765310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE parked_message (
        id bigserial PRIMARY KEY,
        sender text NOT NULL,
        origin text NOT NULL,
        protocol_version integer NOT NULL CHECK (protocol_version > 0),
        kind text NOT NULL,
        reason text NOT NULL,
        payload text NOT NULL,
        sig text NOT NULL,
        payload_sha256 char(64) NOT NULL,
        parked_under_version integer NOT NULL,
        parked_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        last_attempt_at timestamptz
      )`);
    // A redelivery of a parked record parks nothing twice.
    await q.query(`CREATE UNIQUE INDEX parked_message_sender_payload ON parked_message (sender, payload_sha256)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE parked_message`);
  }
}
