import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deliveries of a granted share (Article 10): the whole grant copied into the consumer's node by
 * the return transfer's machinery. At the consumer, `share_delivery` is the job and its cursor
 * (the change sequence of the provider's dataset up to which every chunk is committed); the rows
 * themselves go into returned_row under the share's id (rows received from another node, by the
 * return request or the grant that brought them). At the provider, `share_delivery_served` makes
 * the audit record of a delivery once, however often its last chunk is asked for again.
 */
export class ShareDeliveries1765300000000 implements MigrationInterface {
  name = 'ShareDeliveries1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE share_delivery (
        id uuid PRIMARY KEY,
        share_id uuid NOT NULL,
        provider char(6) NOT NULL,
        kind text NOT NULL CHECK (kind IN ('full', 'incremental')),
        state text NOT NULL CHECK (state IN ('running', 'done', 'refused')),
        actor text NOT NULL,
        after_seq bigint NOT NULL,
        tombstones_after bigint,
        chunks integer NOT NULL DEFAULT 0,
        rows_done bigint NOT NULL DEFAULT 0,
        upserts bigint NOT NULL DEFAULT 0,
        deletes bigint NOT NULL DEFAULT 0,
        rule text,
        last_error text,
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        row_seq bigserial NOT NULL
      )`);
    // One delivery of a share in flight at a time: a second ask gets the one running.
    await q.query(`CREATE UNIQUE INDEX share_delivery_one_running ON share_delivery (share_id) WHERE state = 'running'`);
    await q.query(`CREATE INDEX share_delivery_share_seq ON share_delivery (share_id, row_seq)`);
    await q.query(`
      CREATE TABLE share_delivery_served (
        delivery_id uuid PRIMARY KEY,
        share_id uuid NOT NULL,
        consumer char(6) NOT NULL,
        rows bigint NOT NULL,
        through_seq bigint NOT NULL,
        served_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS share_delivery_served`);
    await q.query(`DROP TABLE IF EXISTS share_delivery`);
  }
}
