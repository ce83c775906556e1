import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface BatchProgress {
  streamSeq: number;
  origin: string;
  originSeq: number;
  recordAt: string;
  applied: number;
  skipped: number;
  rejected: number;
}

/** The state of this node's links up and down: positions, counts, errors, refused messages. */
@Injectable()
export class LinkStateRepository {
  /** The link of a direct child admitted here: its row, before its worker records any progress. */
  async ensureChildLink(manager: EntityManager, child: string): Promise<void> {
    await manager.query(`INSERT INTO child_link (child_code) VALUES ($1) ON CONFLICT DO NOTHING`, [child]);
  }

  async recordBatch(manager: EntityManager, child: string, p: BatchProgress): Promise<void> {
    await manager.query(
      `UPDATE child_link SET last_stream_seq = GREATEST(last_stream_seq, $2), last_origin = $3, last_origin_seq = $4,
         last_record_at = $5, last_applied_at = now(), applied_count = applied_count + $6,
         skipped_count = skipped_count + $7, rejected_count = rejected_count + $8
       WHERE child_code = $1`,
      [child, p.streamSeq, p.origin, p.originSeq, p.recordAt, p.applied, p.skipped, p.rejected],
    );
  }

  async recordChildError(manager: EntityManager, child: string, error: string): Promise<void> {
    await manager.query(`UPDATE child_link SET last_error = $2, last_error_at = now() WHERE child_code = $1`, [child, error.slice(0, 1000)]);
  }

  /** Each child link's progress, by code; who the child is (name, level, status) is identity's, in NodeRegistryRepository. */
  async childLinks(manager: EntityManager): Promise<Record<string, unknown>[]> {
    return manager.query(
      `SELECT child_code AS code, last_stream_seq AS "lastStreamSeq", last_origin AS "lastOrigin", last_origin_seq AS "lastOriginSeq",
              last_record_at AS "lastRecordAt", last_applied_at AS "lastAppliedAt", applied_count AS "applied", skipped_count AS "skipped",
              rejected_count AS "rejected", last_error AS "lastError", last_error_at AS "lastErrorAt"
       FROM child_link ORDER BY child_code`,
    );
  }

  async parentJoined(manager: EntityManager, parent: { code: string; name: string; publicKey: string }): Promise<void> {
    await manager.query(
      `INSERT INTO parent_link (parent_code, parent_name, parent_public_key, joined_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (parent_code) DO UPDATE SET parent_name = $2, parent_public_key = $3, joined_at = now(), last_error = NULL`,
      [parent.code, parent.name, parent.publicKey],
    );
  }

  async parentPublished(manager: EntityManager, parentCode: string, lastSeq: string, count: number): Promise<void> {
    await manager.query(
      `UPDATE parent_link SET last_published_seq = GREATEST(last_published_seq, $2::bigint), last_published_at = now(),
         published_count = published_count + $3 WHERE parent_code = $1`,
      [parentCode, lastSeq, count],
    );
  }

  async parentError(manager: EntityManager, parentCode: string, error: string): Promise<void> {
    await manager.query(
      `INSERT INTO parent_link (parent_code, last_error, last_error_at) VALUES ($1, $2, now())
       ON CONFLICT (parent_code) DO UPDATE SET last_error = $2, last_error_at = now()`,
      [parentCode, error.slice(0, 1000)],
    );
  }

  async parentLink(manager: EntityManager): Promise<Record<string, unknown> | undefined> {
    const rows = await manager.query(
      `SELECT parent_code AS "code", parent_name AS "name", joined_at AS "joinedAt", last_published_seq AS "lastPublishedSeq",
              last_published_at AS "lastPublishedAt", published_count AS "published", last_error AS "lastError", last_error_at AS "lastErrorAt"
       FROM parent_link`,
    );
    return rows[0];
  }
}
