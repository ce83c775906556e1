import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { InstitutionState } from '@tdx/contracts';
import { queryReturning } from '../common/returning';

const COLUMNS = `id, origin, name, kind, credit_code AS "creditCode", status, version, created_at AS "createdAt", updated_at AS "updatedAt"`;

@Injectable()
export class InstitutionRepository {
  async insert(manager: EntityManager, s: InstitutionState): Promise<void> {
    await manager.query(
      `INSERT INTO institution (id, origin, name, kind, credit_code, status, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [s.id, s.origin, s.name, s.kind, s.creditCode, s.status, s.version, s.createdAt, s.updatedAt],
    );
  }

  /** Applies a replicated version; true when it was newer than what this node held. */
  async applyReplica(manager: EntityManager, s: InstitutionState): Promise<boolean> {
    const result = await queryReturning<{ id: string }>(
      manager,
      `INSERT INTO institution (id, origin, name, kind, credit_code, status, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, credit_code = EXCLUDED.credit_code,
         status = EXCLUDED.status, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
       WHERE institution.version < EXCLUDED.version AND institution.origin = EXCLUDED.origin
       RETURNING id`,
      [s.id, s.origin, s.name, s.kind, s.creditCode, s.status, s.version, s.createdAt, s.updatedAt],
    );
    return result.length === 1;
  }

  /** Where institution `id` was registered, in any status; undefined when this node does not hold it. */
  async originOf(manager: EntityManager, id: string): Promise<string | undefined> {
    const rows: { origin: string }[] = await manager.query(`SELECT origin FROM institution WHERE id = $1`, [id]);
    return rows[0]?.origin;
  }

  async findLocalActive(manager: EntityManager, id: string, origin: string): Promise<InstitutionState | undefined> {
    const rows = await manager.query(`SELECT ${COLUMNS} FROM institution WHERE id = $1 AND origin = $2 AND status = 'active'`, [id, origin]);
    return rows[0] ? toState(rows[0]) : undefined;
  }

  /** Which of `ids` are active institutions registered under `origin`. */
  async activeLocalIds(manager: EntityManager, origin: string, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows: { id: string }[] = await manager.query(`SELECT id FROM institution WHERE origin = $1 AND status = 'active' AND id = ANY($2::uuid[])`, [
      origin,
      ids,
    ]);
    return new Set(rows.map((r) => r.id));
  }

  async creditCodeTaken(manager: EntityManager, origin: string, creditCode: string): Promise<boolean> {
    const rows = await manager.query(`SELECT 1 FROM institution WHERE origin = $1 AND credit_code = $2`, [origin, creditCode]);
    return rows.length > 0;
  }

  async list(
    manager: EntityManager,
    filter: { origin?: string; afterSeq: number; limit: number },
  ): Promise<{ items: InstitutionState[]; lastSeq: number | null }> {
    const rows = await manager.query(
      `SELECT ${COLUMNS}, row_seq FROM institution
       WHERE row_seq > $1 AND ($2::text IS NULL OR origin = $2)
       ORDER BY row_seq LIMIT $3`,
      [filter.afterSeq, filter.origin ?? null, filter.limit],
    );
    return { items: rows.map(toState), lastSeq: rows.length ? Number(rows[rows.length - 1].row_seq) : null };
  }
}

function toState(row: Record<string, unknown>): InstitutionState {
  return {
    id: String(row.id),
    origin: String(row.origin),
    name: String(row.name),
    kind: row.kind as InstitutionState['kind'],
    creditCode: (row.creditCode as string | null) ?? null,
    status: row.status as InstitutionState['status'],
    version: Number(row.version),
    createdAt: new Date(row.createdAt as string).toISOString(),
    updatedAt: new Date(row.updatedAt as string).toISOString(),
  };
}
