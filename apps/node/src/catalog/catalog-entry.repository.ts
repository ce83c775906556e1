import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { type EntryState, UUID_PATTERN } from '@tdx/contracts';
import { queryReturning } from '../common/returning';

/**
 * Each field of an entry and its column in `catalog_entry`: the one list every statement below is
 * derived from, checked by the compiler against EntryState (a field added there must be added here).
 */
const COLUMN_OF = {
  id: 'id',
  origin: 'origin',
  code: 'code',
  type: 'type',
  name: 'name',
  summary: 'summary',
  providerId: 'provider_id',
  category: 'category',
  grade: 'grade',
  shareType: 'share_type',
  shareCondition: 'share_condition',
  legalBasis: 'legal_basis',
  openType: 'open_type',
  updateCycle: 'update_cycle',
  format: 'format',
  regionScope: 'region_scope',
  dataItems: 'data_items',
  relatedResources: 'related_resources',
  releaseDate: 'release_date',
  status: 'status',
  version: 'version',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
} as const satisfies Record<keyof EntryState, string>;

type Field = keyof typeof COLUMN_OF;
const FIELDS = Object.keys(COLUMN_OF) as Field[];

/** Set at registration and never changed by an update or a newer replica. */
const FIXED: readonly Field[] = ['id', 'origin', 'type', 'createdAt'];
/** Passed as JSON text in a parameter, for the jsonb columns. */
const JSON_FIELDS: readonly Field[] = ['dataItems', 'relatedResources'];
/** How a field is read where the column alone would not do (a date as text, not a Date at midnight in the server's zone). */
const READ_AS: Partial<Record<Field, string>> = { releaseDate: "to_char(release_date, 'YYYY-MM-DD')" };

/** Every field as read (COLUMNS): for other repositories reading entries, such as search. */
export const ENTRY_COLUMNS = FIELDS.map((f) => {
  const read = READ_AS[f] ?? COLUMN_OF[f];
  return read === f ? f : `${read} AS "${f}"`;
}).join(', ');

const ALL_COLUMNS = FIELDS.map((f) => COLUMN_OF[f]).join(', ');

const COLUMNS = ENTRY_COLUMNS;

const INSERT = `INSERT INTO catalog_entry (${ALL_COLUMNS}) VALUES (${FIELDS.map((_, i) => `$${i + 1}`).join(', ')})`;

// Many rows in one statement with one parameter: a JSON array of rows shaped like the table.
const INSERT_FROM_JSON = `INSERT INTO catalog_entry (${ALL_COLUMNS})
  SELECT ${ALL_COLUMNS} FROM jsonb_populate_recordset(NULL::catalog_entry, $1::jsonb)`;

/** On conflict with a stored row: every column but the fixed ones takes the offered value. */
const UPDATE_FROM_EXCLUDED = FIELDS.filter((f) => !FIXED.includes(f))
  .map((f) => `${COLUMN_OF[f]} = EXCLUDED.${COLUMN_OF[f]}`)
  .join(', ');

/**
 * What the open catalog lists, decided in SQL whatever a stored row says: opened unconditionally
 * and graded L1, or opened as restricted (the public sees it to apply for it) and not L4. L4 is
 * never opened and L2/L3 open only as restricted, after approval. The catalog rules refuse any
 * other combination at registration and on receipt of a replica; this condition holds even for a
 * row that got in some other way (and open-data/open-rules.ts checks each entry again).
 */
const OPEN_TO_PUBLIC = `((open_type = 'unconditional' AND grade = 'L1') OR (open_type = 'restricted' AND grade <> 'L4'))`;

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
    await manager.query(`${INSERT} ON CONFLICT (id) DO UPDATE SET ${UPDATE_FROM_EXCLUDED}`, params(s));
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
    const rows = await queryReturning<{ id: string; version: number }>(
      manager,
      `${INSERT_FROM_JSON} ON CONFLICT (id) DO UPDATE SET ${UPDATE_FROM_EXCLUDED}
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

  /** The entries held here (own and replicas) whose id or resource code is one of `refs`, for project review (Article 12 (c)). */
  async findByRefs(manager: EntityManager, refs: string[]): Promise<EntryState[]> {
    if (refs.length === 0) return [];
    const ids = refs.filter((r) => UUID_PATTERN.test(r)).map((r) => r.toLowerCase());
    const rows = await manager.query(`SELECT ${COLUMNS} FROM catalog_entry WHERE id = ANY($1::uuid[]) OR code = ANY($2::text[]) ORDER BY origin, code`, [
      ids,
      refs,
    ]);
    return rows.map(toState);
  }

  /** A page of the active data entries held here (own and replicas), for matching planned data items against (Article 12 (d)). */
  async activeDataPage(
    manager: EntityManager,
    afterSeq: number,
    limit: number,
  ): Promise<{ items: Pick<EntryState, 'id' | 'code' | 'name' | 'type' | 'status' | 'origin' | 'providerId' | 'dataItems'>[]; lastSeq: number | null }> {
    const rows = await manager.query(
      `SELECT id, code, name, type, status, origin, provider_id AS "providerId", data_items AS "dataItems", row_seq FROM catalog_entry
       WHERE row_seq > $1 AND type = 'data' AND status = 'active' ORDER BY row_seq LIMIT $2`,
      [afterSeq, limit],
    );
    return {
      items: rows.map((r: Record<string, unknown>) => ({
        id: String(r.id),
        code: String(r.code),
        name: String(r.name),
        type: r.type as EntryState['type'],
        status: r.status as EntryState['status'],
        origin: String(r.origin).trim(),
        providerId: String(r.providerId),
        dataItems: r.dataItems as EntryState['dataItems'],
      })),
      lastSeq: rows.length ? Number(rows[rows.length - 1].row_seq) : null,
    };
  }

  /** An institution's active data entries registered at `origin`, and how many of them are closed to sharing (share type none). */
  async sharingCounts(manager: EntityManager, origin: string, providerId: string): Promise<{ dataEntries: number; notShared: number }> {
    const rows: { n: number; none: number }[] = await manager.query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE share_type = 'none')::int AS none FROM catalog_entry
       WHERE origin = $1 AND provider_id = $2 AND type = 'data' AND status = 'active'`,
      [origin, providerId],
    );
    return { dataEntries: rows[0]?.n ?? 0, notShared: rows[0]?.none ?? 0 };
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
  return FIELDS.map((f) => (JSON_FIELDS.includes(f) ? JSON.stringify(s[f]) : s[f]));
}

function toRow(s: EntryState): Record<string, unknown> {
  return Object.fromEntries(FIELDS.map((f) => [COLUMN_OF[f], s[f]]));
}

/** A row read with COLUMNS (and perhaps more, such as row_seq) as an entry: its fields only, in their JSON forms. */
export function toState(r: Record<string, unknown>): EntryState {
  const state = Object.fromEntries(FIELDS.map((f) => [f, r[f] ?? null])) as unknown as EntryState;
  state.version = Number(r.version);
  state.createdAt = new Date(r.createdAt as string).toISOString();
  state.updatedAt = new Date(r.updatedAt as string).toISOString();
  return state;
}
