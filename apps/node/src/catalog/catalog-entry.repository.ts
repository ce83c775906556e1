import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { EntryState } from '@tdx/contracts';
import { queryReturning } from '../common/returning';

const COLUMNS = `id, origin, code, type, name, summary, provider_id AS "providerId", category, grade,
  share_type AS "shareType", share_condition AS "shareCondition", legal_basis AS "legalBasis", open_type AS "openType",
  update_cycle AS "updateCycle", format, region_scope AS "regionScope", data_items AS "dataItems",
  related_resources AS "relatedResources", to_char(release_date, 'YYYY-MM-DD') AS "releaseDate", status, version,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

const INSERT = `INSERT INTO catalog_entry (id, origin, code, type, name, summary, provider_id, category, grade, share_type,
    share_condition, legal_basis, open_type, update_cycle, format, region_scope, data_items, related_resources,
    release_date, status, version, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`;

const ALL_COLUMNS = `id, origin, code, type, name, summary, provider_id, category, grade, share_type, share_condition,
  legal_basis, open_type, update_cycle, format, region_scope, data_items, related_resources, release_date, status, version,
  created_at, updated_at`;

// Many rows in one statement with one parameter: a JSON array of rows shaped like the table.
const INSERT_FROM_JSON = `INSERT INTO catalog_entry (${ALL_COLUMNS})
  SELECT ${ALL_COLUMNS} FROM jsonb_populate_recordset(NULL::catalog_entry, $1::jsonb)`;

const UPDATABLE = [
  'code',
  'name',
  'summary',
  'provider_id',
  'category',
  'grade',
  'share_type',
  'share_condition',
  'legal_basis',
  'open_type',
  'update_cycle',
  'format',
  'region_scope',
  'data_items',
  'related_resources',
  'release_date',
  'status',
  'version',
  'updated_at',
];

/**
 * What the open catalog lists, decided in SQL whatever a stored row says: opened unconditionally
 * and graded L1. L4 is never opened and L2/L3 open only as restricted, after approval, so never
 * to the anonymous public. The catalog rules refuse any other combination at registration and on
 * receipt of a replica; this condition holds even for a row that got in some other way.
 */
const OPEN_TO_PUBLIC = `open_type = 'unconditional' AND grade = 'L1'`;

export interface EntryFilter {
  origin?: string;
  q?: string;
  type?: string;
  status: 'active' | 'retired' | 'all';
  /** Only what the anonymous public may see (the open-data listing): see OPEN_TO_PUBLIC. */
  openToPublic?: boolean;
  afterSeq: number;
  limit: number;
}

export interface OriginDigest {
  origin: string;
  count: number;
  active: number;
  versionSum: number;
  digest: string;
}

@Injectable()
export class CatalogEntryRepository {
  /** What the dataset rules need to know of an entry; `lock` takes the row lock a load holds (see DatasetRowRepository). */
  async datasetEntry(
    manager: EntityManager,
    id: string,
    lock = false,
  ): Promise<Pick<EntryState, 'id' | 'origin' | 'type' | 'status' | 'grade' | 'dataItems'> | undefined> {
    // FOR NO KEY UPDATE does not block the foreign-key checks of dataset_row, so writers of one dataset queue here only.
    const rows = await manager.query(
      `SELECT id, origin, type, status, grade, data_items AS "dataItems" FROM catalog_entry WHERE id = $1${lock ? ' FOR NO KEY UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  async insert(manager: EntityManager, s: EntryState): Promise<void> {
    await manager.query(INSERT, params(s));
  }

  async update(manager: EntityManager, s: EntryState): Promise<void> {
    const sets = UPDATABLE.map((column) => `${column} = EXCLUDED.${column}`).join(', ');
    await manager.query(`${INSERT} ON CONFLICT (id) DO UPDATE SET ${sets}`, params(s));
  }

  async insertMany(manager: EntityManager, states: EntryState[]): Promise<void> {
    if (states.length > 0) await manager.query(INSERT_FROM_JSON, [JSON.stringify(states.map(toRow))]);
  }

  /**
   * Applies many replicated versions in one statement; returns the `id:version` of those that
   * were newer than what this node held. Only the newest version of each id in `states` is
   * offered (one statement cannot update a row twice); the older ones count as not applied.
   */
  async applyReplicas(manager: EntityManager, states: EntryState[]): Promise<Set<string>> {
    const newest = new Map<string, EntryState>();
    for (const state of states) {
      const held = newest.get(state.id);
      if (!held || held.version < state.version) newest.set(state.id, state);
    }
    if (newest.size === 0) return new Set();
    const sets = UPDATABLE.map((column) => `${column} = EXCLUDED.${column}`).join(', ');
    const rows = await queryReturning<{ id: string; version: number }>(
      manager,
      `${INSERT_FROM_JSON} ON CONFLICT (id) DO UPDATE SET ${sets}
       WHERE catalog_entry.version < EXCLUDED.version AND catalog_entry.origin = EXCLUDED.origin
       RETURNING id, version`,
      [JSON.stringify([...newest.values()].map(toRow))],
    );
    return new Set(rows.map((r) => `${r.id}:${r.version}`));
  }

  /** Which of `codes` are already registered under `origin`. */
  async takenCodes(manager: EntityManager, origin: string, codes: string[]): Promise<Set<string>> {
    if (codes.length === 0) return new Set();
    const rows: { code: string }[] = await manager.query(`SELECT code FROM catalog_entry WHERE origin = $1 AND code = ANY($2::text[])`, [origin, codes]);
    return new Set(rows.map((r) => r.code));
  }

  async nextCodeNumbers(manager: EntityManager, count: number): Promise<number[]> {
    if (count === 0) return [];
    const rows: { n: string }[] = await manager.query(`SELECT nextval('entry_code_seq') AS n FROM generate_series(1, $1)`, [count]);
    return rows.map((r) => Number(r.n)).sort((a, b) => a - b);
  }

  async findById(manager: EntityManager, id: string, forUpdate = false): Promise<EntryState | undefined> {
    const rows = await manager.query(`SELECT ${COLUMNS} FROM catalog_entry WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? toState(rows[0]) : undefined;
  }

  async list(manager: EntityManager, f: EntryFilter): Promise<{ items: EntryState[]; lastSeq: number | null }> {
    const rows = await manager.query(
      `SELECT ${COLUMNS}, row_seq FROM catalog_entry
       WHERE row_seq > $1
         AND ($2::text IS NULL OR origin = $2)
         AND ($3::text IS NULL OR type = $3)
         AND ($4::text = 'all' OR status = $4)
         AND ($5::text IS NULL OR name ILIKE $5 OR summary ILIKE $5 OR code ILIKE $5)
         AND (NOT $7::boolean OR (${OPEN_TO_PUBLIC}))
       ORDER BY row_seq LIMIT $6`,
      [f.afterSeq, f.origin ?? null, f.type ?? null, f.status, f.q ? `%${escapeLike(f.q)}%` : null, f.limit, f.openToPublic === true],
    );
    return { items: rows.map(toState), lastSeq: rows.length ? Number(rows[rows.length - 1].row_seq) : null };
  }

  /**
   * Per origin: a SHA-256 over "id:version:status" of every entry in id order. Two tiers holding
   * the same versions of an origin's entries compute the same digest.
   */
  async digests(manager: EntityManager): Promise<OriginDigest[]> {
    const rows = await manager.query(
      `SELECT origin, count(*)::int AS count, count(*) FILTER (WHERE status = 'active')::int AS active,
              sum(version)::bigint AS version_sum,
              encode(sha256(convert_to(string_agg(id::text || ':' || version || ':' || status, E'\\n' ORDER BY id), 'UTF8')), 'hex') AS digest
       FROM catalog_entry GROUP BY origin ORDER BY origin`,
    );
    return rows.map((r: Record<string, unknown>) => ({
      origin: String(r.origin),
      count: Number(r.count),
      active: Number(r.active),
      versionSum: Number(r.version_sum),
      digest: String(r.digest),
    }));
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function params(s: EntryState): unknown[] {
  return [
    s.id,
    s.origin,
    s.code,
    s.type,
    s.name,
    s.summary,
    s.providerId,
    s.category,
    s.grade,
    s.shareType,
    s.shareCondition,
    s.legalBasis,
    s.openType,
    s.updateCycle,
    s.format,
    s.regionScope,
    JSON.stringify(s.dataItems),
    JSON.stringify(s.relatedResources),
    s.releaseDate,
    s.status,
    s.version,
    s.createdAt,
    s.updatedAt,
  ];
}

function toRow(s: EntryState): Record<string, unknown> {
  return {
    id: s.id,
    origin: s.origin,
    code: s.code,
    type: s.type,
    name: s.name,
    summary: s.summary,
    provider_id: s.providerId,
    category: s.category,
    grade: s.grade,
    share_type: s.shareType,
    share_condition: s.shareCondition,
    legal_basis: s.legalBasis,
    open_type: s.openType,
    update_cycle: s.updateCycle,
    format: s.format,
    region_scope: s.regionScope,
    data_items: s.dataItems,
    related_resources: s.relatedResources,
    release_date: s.releaseDate,
    status: s.status,
    version: s.version,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

function toState(r: Record<string, unknown>): EntryState {
  return {
    id: String(r.id),
    origin: String(r.origin),
    code: String(r.code),
    type: r.type as EntryState['type'],
    name: String(r.name),
    summary: String(r.summary),
    providerId: String(r.providerId),
    category: String(r.category),
    grade: r.grade as EntryState['grade'],
    shareType: r.shareType as EntryState['shareType'],
    shareCondition: (r.shareCondition as string | null) ?? null,
    legalBasis: (r.legalBasis as string | null) ?? null,
    openType: r.openType as EntryState['openType'],
    updateCycle: r.updateCycle as EntryState['updateCycle'],
    format: (r.format as string | null) ?? null,
    regionScope: String(r.regionScope),
    dataItems: r.dataItems as EntryState['dataItems'],
    relatedResources: r.relatedResources as string[],
    releaseDate: (r.releaseDate as string | null) ?? null,
    status: r.status as EntryState['status'],
    version: Number(r.version),
    createdAt: new Date(r.createdAt as string).toISOString(),
    updatedAt: new Date(r.updatedAt as string).toISOString(),
  };
}
