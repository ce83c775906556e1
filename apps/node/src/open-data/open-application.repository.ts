import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { OpenApplicationState, OpenApplicationView } from '@tdx/contracts';
import { queryReturning } from '../common/returning';

/** What a new application stores: the applicant's fields of the view, and the token only as its hash. */
export interface NewOpenApplication extends Pick<
  OpenApplicationView,
  'id' | 'entryId' | 'origin' | 'appliedAt' | 'applicantName' | 'organisation' | 'contact' | 'purpose'
> {
  tokenHash: string;
}

export interface OpenDecision {
  state: Exclude<OpenApplicationState, 'pending'>;
  reason: string | null;
  decidedBy: string;
  decidedAt: string;
  expiresAt: string | null;
}

const COLUMNS = `id, entry_id AS "entryId", origin, applied_at AS "appliedAt", applicant_name AS "applicantName", organisation, contact, purpose,
  state, reason, to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "decidedAt",
  to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "expiresAt",
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt"`;

/** All SQL of open_application. */
@Injectable()
export class OpenApplicationRepository {
  /** Inserts the application unless its id is held already (a redelivery); true when inserted. */
  async insert(manager: EntityManager, a: NewOpenApplication, decision?: OpenDecision): Promise<boolean> {
    const rows = await queryReturning<{ id: string }>(
      manager,
      `INSERT INTO open_application (id, entry_id, origin, applied_at, applicant_name, organisation, contact, purpose, token_hash,
         state, reason, decided_by, decided_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [
        a.id,
        a.entryId,
        a.origin,
        a.appliedAt,
        a.applicantName,
        a.organisation,
        a.contact,
        a.purpose,
        a.tokenHash,
        decision?.state ?? 'pending',
        decision?.reason ?? null,
        decision?.decidedBy ?? null,
        decision?.decidedAt ?? null,
        decision?.expiresAt ?? null,
      ],
    );
    return rows.length === 1;
  }

  async find(manager: EntityManager, id: string, forUpdate = false): Promise<(OpenApplicationView & { tokenHash: string }) | undefined> {
    const rows = await manager.query(`SELECT ${COLUMNS}, token_hash AS "tokenHash" FROM open_application WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0];
  }

  /** Records a decision on a pending application; false when it was decided already. */
  async decide(manager: EntityManager, id: string, d: OpenDecision): Promise<boolean> {
    const rows = await queryReturning<{ id: string }>(
      manager,
      `UPDATE open_application SET state = $2, reason = $3, decided_by = $4, decided_at = $5, expires_at = $6
       WHERE id = $1 AND state = 'pending' RETURNING id`,
      [id, d.state, d.reason, d.decidedBy, d.decidedAt, d.expiresAt],
    );
    return rows.length === 1;
  }

  /** Whether an approved, unexpired application of `entryId` decided at `origin` has this token hash. */
  async tokenOpens(manager: EntityManager, tokenHash: string, entryId: string, origin: string): Promise<boolean> {
    const rows = await manager.query(
      `SELECT 1 FROM open_application WHERE token_hash = $1 AND entry_id = $2 AND origin = $3 AND state = 'approved' AND expires_at > now() LIMIT 1`,
      [tokenHash, entryId, origin],
    );
    return rows.length > 0;
  }

  /**
   * Applications this node decides (`origin` is this node), newest last, paged by row sequence;
   * `providers` limits them to entries of those institutions ('all' for the operator).
   */
  async listToDecide(
    manager: EntityManager,
    origin: string,
    f: { state?: OpenApplicationState; providers: 'all' | string[]; afterSeq: number; limit: number },
  ): Promise<{ items: OpenApplicationView[]; lastSeq: number | null }> {
    const rows = await manager.query(
      // The select list names columns of open_application only (the one table of FROM).
      `SELECT ${COLUMNS}, a.row_seq
       FROM open_application a
       WHERE a.origin = $1 AND a.row_seq > $2 AND ($3::text IS NULL OR a.state = $3)
         AND ($5::uuid[] IS NULL OR EXISTS (SELECT 1 FROM catalog_entry e WHERE e.id = a.entry_id AND e.provider_id = ANY($5::uuid[])))
       ORDER BY a.row_seq LIMIT $4`,
      [origin, f.afterSeq, f.state ?? null, f.limit, f.providers === 'all' ? null : f.providers],
    );
    return {
      items: rows.map(({ row_seq: _seq, ...view }: OpenApplicationView & { row_seq: string }) => view),
      lastSeq: rows.length ? Number(rows[rows.length - 1].row_seq) : null,
    };
  }
}
