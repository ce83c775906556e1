import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Envelope, JoinBody, TrustedNode } from '@tdx/contracts';
import { queryReturning } from '../common/returning';

/** A decided identity: a node admitted here (approved) or refused from now on (revoked). */
export type NodeStatus = 'approved' | 'revoked';

export interface KnownNode {
  code: string;
  name: string;
  level: string;
  parentCode: string;
  publicKey: string;
  previousPublicKey: string | null;
  via: string;
  joinedAt: string;
  status: NodeStatus;
  decidedAt: string | null;
  decidedBy: string | null;
  reason: string | null;
  /** The parent's signed approval this node was admitted on (null at the parent itself, which decided). */
  approvalEnvelope: string | null;
  /** Record sequence of the parent's last decision about this node applied here (at an ancestor). */
  parentDecisionSeq: number | null;
}

/** A direct child's join that waits for (or was refused by) an operator here: one per code and key. */
export interface JoinCandidate {
  code: string;
  publicKey: string;
  name: string;
  level: string;
  joinEnvelope: string;
  subject: string;
  status: 'pending' | 'rejected';
  reason: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  firstSeen: string;
  lastSeen: string;
  attempts: number;
}

export interface RevokedKey {
  code: string;
  publicKey: string;
  revokedAt: string;
  revokedBy: string;
  reason: string | null;
  /** Revoked by an operator here (only an operator here re-admits it), or learnt from the node's parent. */
  decidedHere: boolean;
}

/** Candidates kept per code: a squatter cycling keys evicts its own oldest, never a node that keeps asking. */
export const MAX_CANDIDATES_PER_CODE = 8;

const KNOWN_COLUMNS = `trim(code) AS code, name, level, trim(parent_code) AS "parentCode", public_key AS "publicKey",
  previous_public_key AS "previousPublicKey", trim(via) AS via, joined_at AS "joinedAt", status, decided_at AS "decidedAt",
  decided_by AS "decidedBy", reason, approval_envelope AS "approvalEnvelope", parent_decision_seq::float8 AS "parentDecisionSeq"`;
const CANDIDATE_COLUMNS = `trim(code) AS code, public_key AS "publicKey", name, level, join_envelope AS "joinEnvelope", subject, status, reason,
  decided_by AS "decidedBy", decided_at AS "decidedAt", first_seen AS "firstSeen", last_seen AS "lastSeen", attempts`;

/** Who this node knows below it: admitted and revoked identities, join candidates, revoked keys. */
@Injectable()
export class NodeRegistryRepository {
  async knownNode(manager: EntityManager, code: string, lock = false): Promise<KnownNode | undefined> {
    const rows = await manager.query(`SELECT ${KNOWN_COLUMNS} FROM known_node WHERE code = $1${lock ? ' FOR UPDATE' : ''}`, [code]);
    return rows[0];
  }

  /** Direct children whose records this node applies. */
  async directChildren(manager: EntityManager): Promise<KnownNode[]> {
    return manager.query(`SELECT ${KNOWN_COLUMNS} FROM known_node WHERE code = via AND status = 'approved' ORDER BY code`);
  }

  /** At the province: every approved node of the federation, as the next list names them. */
  async approvedNodes(manager: EntityManager): Promise<TrustedNode[]> {
    const rows: { code: string; parent: string; name: string; publicKey: string; previousPublicKey: string | null }[] = await manager.query(
      `SELECT code, parent_code AS parent, name, public_key AS "publicKey", previous_public_key AS "previousPublicKey"
       FROM known_node WHERE status = 'approved' ORDER BY code`,
    );
    return rows.map((r) => ({
      code: r.code.trim(),
      parent: r.parent.trim(),
      name: r.name,
      publicKey: r.publicKey,
      ...(r.previousPublicKey ? { previousPublicKey: r.previousPublicKey } : {}),
    }));
  }

  /** The known nodes among `codes` (admitted or revoked), by code. */
  async knownNodes(manager: EntityManager, codes: string[]): Promise<KnownNode[]> {
    return manager.query(`SELECT ${KNOWN_COLUMNS} FROM known_node WHERE code = ANY($1::bpchar[]) ORDER BY code`, [codes]);
  }

  async listKnown(manager: EntityManager, status?: NodeStatus): Promise<KnownNode[]> {
    return manager.query(`SELECT ${KNOWN_COLUMNS} FROM known_node WHERE ($1::text IS NULL OR status = $1) ORDER BY code`, [status ?? null]);
  }

  /**
   * Admits `node` with `publicKey` (approved): a first admission, a re-approval, a replaced key or
   * a rotation (`previousPublicKey`). `via` is the direct child it is reached through.
   */
  async admit(
    manager: EntityManager,
    node: { code: string; name: string; level: string; parent: string; publicKey: string; previousPublicKey?: string | null },
    via: string,
    decidedBy: string,
    approval: { envelope: Envelope; seq: number } | null,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO known_node (code, name, level, parent_code, public_key, previous_public_key, via, status, decided_at, decided_by, reason,
         approval_envelope, parent_decision_seq, rotated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'approved', now(), $8, NULL, $9, $10, CASE WHEN $6::text IS NULL THEN NULL ELSE now() END)
       ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, parent_code = EXCLUDED.parent_code,
         public_key = EXCLUDED.public_key, previous_public_key = EXCLUDED.previous_public_key, via = EXCLUDED.via, status = 'approved',
         decided_at = now(), decided_by = EXCLUDED.decided_by, reason = NULL, approval_envelope = EXCLUDED.approval_envelope,
         parent_decision_seq = coalesce(EXCLUDED.parent_decision_seq, known_node.parent_decision_seq), rotated_at = EXCLUDED.rotated_at`,
      [
        node.code,
        node.name,
        node.level,
        node.parent,
        node.publicKey,
        node.previousPublicKey ?? null,
        via,
        decidedBy,
        approval ? JSON.stringify(approval.envelope) : null,
        approval?.seq ?? null,
      ],
    );
    await manager.query(`DELETE FROM revoked_key WHERE code = $1 AND public_key = $2`, [node.code, node.publicKey]);
  }

  /** Revokes `code`'s key `publicKey`: the node when that is its current key, and the key for good either way. */
  async revoke(
    manager: EntityManager,
    code: string,
    publicKey: string,
    by: string,
    reason: string,
    decidedHere: boolean,
    parentSeq: number | null = null,
  ): Promise<void> {
    await manager.query(
      `UPDATE known_node SET status = 'revoked', decided_at = now(), decided_by = $3, reason = $4,
         parent_decision_seq = coalesce($5, parent_decision_seq) WHERE code = $1 AND public_key = $2`,
      [code, publicKey, by, reason, parentSeq],
    );
    await manager.query(
      `INSERT INTO revoked_key (code, public_key, revoked_by, reason, decided_here, parent_decision_seq) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (code, public_key) DO UPDATE SET revoked_at = now(), revoked_by = $3, reason = $4,
         decided_here = revoked_key.decided_here OR EXCLUDED.decided_here,
         parent_decision_seq = coalesce(EXCLUDED.parent_decision_seq, revoked_key.parent_decision_seq)`,
      [code, publicKey, by, reason, decidedHere, parentSeq],
    );
  }

  /** The highest record sequence of the parent's decisions about `code` applied here (0 when none). */
  async lastParentDecision(manager: EntityManager, code: string): Promise<number> {
    const [row] = await manager.query(
      `SELECT greatest((SELECT max(parent_decision_seq) FROM known_node WHERE code = $1),
                       (SELECT max(parent_decision_seq) FROM revoked_key WHERE code = $1))::float8 AS seq`,
      [code],
    );
    return Number(row?.seq ?? 0);
  }

  async revokedKey(manager: EntityManager, code: string, publicKey: string): Promise<RevokedKey | undefined> {
    const rows = await manager.query(
      `SELECT trim(code) AS code, public_key AS "publicKey", revoked_at AS "revokedAt", revoked_by AS "revokedBy", reason, decided_here AS "decidedHere"
       FROM revoked_key WHERE code = $1 AND public_key = $2`,
      [code, publicKey],
    );
    return rows[0];
  }

  /**
   * Records (or refreshes) a join waiting for an operator; returns the candidate as stored. Beyond
   * MAX_CANDIDATES_PER_CODE pending keys for one code, the one seen least recently is dropped.
   */
  async recordCandidate(manager: EntityManager, body: JoinBody, joinEnvelope: string, subject: string): Promise<JoinCandidate> {
    const [candidate] = await queryReturning<JoinCandidate>(
      manager,
      `INSERT INTO join_candidate (code, public_key, name, level, join_envelope, subject) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (code, public_key) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, join_envelope = EXCLUDED.join_envelope,
         subject = EXCLUDED.subject, last_seen = now(), attempts = join_candidate.attempts + 1
       RETURNING ${CANDIDATE_COLUMNS}`,
      [body.code, body.publicKey, body.name, body.level, joinEnvelope, subject],
    );
    await manager.query(
      `DELETE FROM join_candidate WHERE code = $1 AND status = 'pending' AND public_key IN (
         SELECT public_key FROM join_candidate WHERE code = $1 AND status = 'pending' ORDER BY last_seen DESC OFFSET $2)`,
      [body.code, MAX_CANDIDATES_PER_CODE],
    );
    return candidate;
  }

  async candidates(manager: EntityManager, code?: string, status?: JoinCandidate['status']): Promise<JoinCandidate[]> {
    return manager.query(
      `SELECT ${CANDIDATE_COLUMNS} FROM join_candidate WHERE ($1::text IS NULL OR code = $1) AND ($2::text IS NULL OR status = $2)
       ORDER BY code, last_seen DESC`,
      [code ?? null, status ?? null],
    );
  }

  async rejectCandidate(manager: EntityManager, code: string, publicKey: string, by: string, reason: string): Promise<void> {
    await manager.query(`UPDATE join_candidate SET status = 'rejected', decided_by = $3, decided_at = now(), reason = $4 WHERE code = $1 AND public_key = $2`, [
      code,
      publicKey,
      by,
      reason,
    ]);
  }

  async removeCandidate(manager: EntityManager, code: string, publicKey: string): Promise<void> {
    await manager.query(`DELETE FROM join_candidate WHERE code = $1 AND public_key = $2`, [code, publicKey]);
  }
}
