import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { JoinBody } from '@tdx/contracts';
import { rowsOf } from '../database/returned-rows';

export type NodeStatus = 'pending' | 'approved' | 'rejected' | 'revoked';

export interface KnownNode {
  code: string;
  name: string;
  level: string;
  parentCode: string;
  publicKey: string;
  via: string;
  joinedAt: string;
  status: NodeStatus;
  decidedAt: string | null;
  decidedBy: string | null;
  reason: string | null;
}

const KNOWN_COLUMNS = `code, name, level, parent_code AS "parentCode", public_key AS "publicKey", via, joined_at AS "joinedAt",
  status, decided_at AS "decidedAt", decided_by AS "decidedBy", reason`;

export interface BatchProgress {
  streamSeq: number;
  origin: string;
  originSeq: number;
  recordAt: string;
  applied: number;
  skipped: number;
  rejected: number;
}

/** Who this node knows below it, and the state of its links up and down. */
@Injectable()
export class LinkStateRepository {
  async knownNode(manager: EntityManager, code: string, lock = false): Promise<KnownNode | undefined> {
    const rows = await manager.query(`SELECT ${KNOWN_COLUMNS} FROM known_node WHERE code = $1${lock ? ' FOR UPDATE' : ''}`, [code]);
    return rows[0];
  }

  /**
   * Records a node and its key; false when it was already known. A direct child that waits for an
   * operator is recorded `pending` with its signed join, to forward once approved.
   */
  async addKnownNode(manager: EntityManager, body: JoinBody, via: string, status: 'pending' | 'approved' = 'approved', joinEnvelope?: string): Promise<boolean> {
    const rows = await manager.query(
      `INSERT INTO known_node (code, name, level, parent_code, public_key, via, status, join_envelope) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (code) DO NOTHING RETURNING code`,
      [body.code, body.name, body.level, body.parent, body.publicKey, via, status, joinEnvelope ?? null]);
    if (rows.length === 1 && body.code === via) {
      await manager.query(`INSERT INTO child_link (child_code) VALUES ($1) ON CONFLICT DO NOTHING`, [body.code]);
    }
    return rows.length === 1;
  }

  /** A revoked or rejected node presents a new key: it waits for approval again, with the new join kept. */
  async replaceKey(manager: EntityManager, body: JoinBody, joinEnvelope: string): Promise<void> {
    await manager.query(
      `UPDATE known_node SET public_key = $2, name = $3, status = 'pending', join_envelope = $4, decided_at = NULL, decided_by = NULL, reason = NULL
       WHERE code = $1`, [body.code, body.publicKey, body.name, joinEnvelope]);
  }

  /** A forwarded join with a new key for a node revoked here: the child that forwards it approved the new key. */
  async acceptNewKey(manager: EntityManager, body: JoinBody): Promise<void> {
    await manager.query(
      `UPDATE known_node SET public_key = $2, name = $3, status = 'approved', decided_at = now(), decided_by = 'forwarded join', reason = NULL
       WHERE code = $1`, [body.code, body.publicKey, body.name]);
  }

  /** A rotation: the new key replaces the recorded one, which is kept as the previous key. */
  async rotateKey(manager: EntityManager, code: string, newPublicKey: string): Promise<void> {
    await manager.query(
      `UPDATE known_node SET previous_public_key = public_key, public_key = $2, rotated_at = now() WHERE code = $1`, [code, newPublicKey]);
  }

  /** Direct children whose records this node applies. */
  async directChildren(manager: EntityManager): Promise<KnownNode[]> {
    return manager.query(`SELECT ${KNOWN_COLUMNS} FROM known_node WHERE code = via AND status = 'approved' ORDER BY code`);
  }

  /** Every node this node knows below it, for the operator; optionally of one status. */
  async listKnownNodes(manager: EntityManager, status?: NodeStatus): Promise<KnownNode[]> {
    return manager.query(`SELECT ${KNOWN_COLUMNS} FROM known_node WHERE ($1::text IS NULL OR status = $1) ORDER BY code`, [status ?? null]);
  }

  /** An operator's decision on a node; returns the signed join kept while it was pending. */
  async decide(manager: EntityManager, code: string, status: NodeStatus, by: string, reason: string | null): Promise<string | null> {
    const rows = rowsOf(await manager.query(
      `UPDATE known_node SET status = $2, decided_at = now(), decided_by = $3, reason = $4 WHERE code = $1 RETURNING join_envelope AS "joinEnvelope"`,
      [code, status, by, reason]));
    return rows[0]?.joinEnvelope ?? null;
  }

  async recordBatch(manager: EntityManager, child: string, p: BatchProgress): Promise<void> {
    await manager.query(
      `UPDATE child_link SET last_stream_seq = GREATEST(last_stream_seq, $2), last_origin = $3, last_origin_seq = $4,
         last_record_at = $5, last_applied_at = now(), applied_count = applied_count + $6,
         skipped_count = skipped_count + $7, rejected_count = rejected_count + $8
       WHERE child_code = $1`,
      [child, p.streamSeq, p.origin, p.originSeq, p.recordAt, p.applied, p.skipped, p.rejected]);
  }

  async recordChildError(manager: EntityManager, child: string, error: string): Promise<void> {
    await manager.query(`UPDATE child_link SET last_error = $2, last_error_at = now() WHERE child_code = $1`, [child, error.slice(0, 1000)]);
  }

  async childLinks(manager: EntityManager): Promise<Record<string, unknown>[]> {
    return manager.query(
      `SELECT k.code, k.name, k.level, k.status, k.joined_at AS "joinedAt", c.last_stream_seq AS "lastStreamSeq",
              c.last_origin AS "lastOrigin", c.last_origin_seq AS "lastOriginSeq", c.last_record_at AS "lastRecordAt",
              c.last_applied_at AS "lastAppliedAt", c.applied_count AS "applied", c.skipped_count AS "skipped",
              c.rejected_count AS "rejected", c.last_error AS "lastError", c.last_error_at AS "lastErrorAt"
       FROM known_node k JOIN child_link c ON c.child_code = k.code ORDER BY k.code`);
  }

  async parentJoined(manager: EntityManager, parent: { code: string; name: string; publicKey: string }): Promise<void> {
    await manager.query(
      `INSERT INTO parent_link (parent_code, parent_name, parent_public_key, joined_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (parent_code) DO UPDATE SET parent_name = $2, parent_public_key = $3, joined_at = now(), last_error = NULL`,
      [parent.code, parent.name, parent.publicKey]);
  }

  async parentPublished(manager: EntityManager, parentCode: string, lastSeq: string, count: number): Promise<void> {
    await manager.query(
      `UPDATE parent_link SET last_published_seq = GREATEST(last_published_seq, $2::bigint), last_published_at = now(),
         published_count = published_count + $3 WHERE parent_code = $1`, [parentCode, lastSeq, count]);
  }

  async parentError(manager: EntityManager, parentCode: string, error: string): Promise<void> {
    await manager.query(
      `INSERT INTO parent_link (parent_code, last_error, last_error_at) VALUES ($1, $2, now())
       ON CONFLICT (parent_code) DO UPDATE SET last_error = $2, last_error_at = now()`, [parentCode, error.slice(0, 1000)]);
  }

  async parentLink(manager: EntityManager): Promise<Record<string, unknown> | undefined> {
    const rows = await manager.query(
      `SELECT parent_code AS "code", parent_name AS "name", joined_at AS "joinedAt", last_published_seq AS "lastPublishedSeq",
              last_published_at AS "lastPublishedAt", published_count AS "published", last_error AS "lastError", last_error_at AS "lastErrorAt"
       FROM parent_link`);
    return rows[0];
  }

  /**
   * Keys of this node's ancestors: the parent (parent_link) and those above it (ancestor_node, learnt
   * from the parent's join reply; the table comes with the returns migration, which needs the keys).
   */
  async ancestorKeys(manager: EntityManager): Promise<{ code: string; name: string; publicKey: string }[]> {
    return manager.query(
      `SELECT parent_code AS code, parent_name AS name, parent_public_key AS "publicKey" FROM parent_link
         WHERE parent_public_key IS NOT NULL
       UNION ALL
       SELECT code, name, public_key AS "publicKey" FROM ancestor_node WHERE code NOT IN (SELECT parent_code FROM parent_link)
       ORDER BY code DESC`);
  }

  /** Records the keys of the ancestors above the parent, as the parent's join reply listed them. */
  async recordAncestors(manager: EntityManager, ancestors: { code: string; name: string; publicKey: string }[]): Promise<void> {
    if (ancestors.length === 0) return;
    await manager.query(
      `INSERT INTO ancestor_node (code, name, public_key)
       SELECT code, name, "publicKey" FROM jsonb_to_recordset($1::jsonb) AS a(code text, name text, "publicKey" text)
       ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, public_key = EXCLUDED.public_key, learned_at = now()`,
      [JSON.stringify(ancestors)]);
  }
}
