import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { EntryState } from '@tdx/contracts';
import { ENTRY_COLUMNS, toState } from '../catalog/catalog-entry.repository';
import type { ProvinceSearch } from './province-catalog';
import { containsPattern, searchGrams, searchWords } from './search-words';

/**
 * What the province's open catalog may show to the public: opened unconditionally or on
 * application, never graded L4 (which is never opened).
 */
const OPEN_TO_PUBLIC = `open_type IN ('unconditional', 'restricted') AND grade <> 'L4'`;

/**
 * Entries a word search first checks one by one in page order. A word found in more than
 * limit/PROBE_WINDOW of the entries (1% for a page of 50) fills its page within the window; a
 * rarer one matches at most that share of the catalog (10,000 of 1,000,000), which the gram index
 * finds and sorts quickly.
 */
export const PROBE_WINDOW = 5000;

interface Conditions {
  /** SQL conditions on catalog_entry, with their parameters from $2 on ($1 is where the page starts). */
  where: string[];
  params: unknown[];
  /** The grams of the words (none without words): what the index can find; the LIKE in `where` decides. */
  grams: string[] | null;
}

/**
 * Search over the catalog this node holds. Pages are keyset pages in row_seq order: an entry added
 * while a client pages gets a row_seq above every one already read, so it can only appear on a
 * later page; no entry is repeated or skipped.
 *
 * Words are found in two steps whose cost does not depend on the planner's estimates (the gram
 * index's statistics assume grams independent, which pairs of one word never are, so a common
 * word looked rare and was sorted in full: 1 to 5 s at 1,000,000 entries): the next PROBE_WINDOW
 * entries in page order are checked one by one; only if they hold less than a page does the gram
 * index find the rest, past the window.
 */
@Injectable()
export class CatalogSearchRepository {
  /** PROBE_WINDOW; a test makes it small to cross the window with a few hundred entries. */
  probeWindow = PROBE_WINDOW;

  async search(manager: EntityManager, query: ProvinceSearch, afterSeq: number): Promise<{ items: EntryState[]; lastSeq: number | null }> {
    const c = conditionsOf(query);
    if (c.grams === null) {
      const rows: Record<string, unknown>[] = await manager.query(
        `SELECT ${ENTRY_COLUMNS}, row_seq FROM catalog_entry WHERE row_seq > $1 AND ${c.where.join(' AND ')} ORDER BY row_seq LIMIT $${c.params.length + 2}`,
        [afterSeq, ...c.params, query.limit],
      );
      return pageOf(rows);
    }
    const n = c.params.length;
    const [probe] = (await manager.query(
      `SELECT max(row_seq)::text AS last, count(*)::int AS scanned, (array_agg(row_seq ORDER BY row_seq) FILTER (WHERE hit))[1:$${n + 2}]::text[] AS hits
       FROM (SELECT row_seq, (${c.where.join(' AND ')}) AS hit FROM catalog_entry WHERE row_seq > $1 ORDER BY row_seq LIMIT ${this.probeWindow}) w`,
      [afterSeq, ...c.params, query.limit],
    )) as { last: string | null; scanned: number; hits: string[] | null }[];
    const seqs = probe.hits ?? [];
    if (seqs.length < query.limit && probe.scanned === this.probeWindow && probe.last !== null) {
      // A rare word: the index finds every entry holding its grams past the window (MATERIALIZED:
      // found in full, not walked in page order hoping to meet a match), LIKE keeps the real ones.
      // node-postgres reads a bigint as a string.
      const rest: { row_seq: string }[] = await manager.query(
        `WITH found AS MATERIALIZED (
           SELECT row_seq FROM catalog_entry WHERE row_seq > $1::bigint AND search_grams @> $${n + 3}::text[] AND ${c.where.join(' AND ')}
         ) SELECT row_seq FROM found ORDER BY row_seq LIMIT $${n + 2}`,
        [probe.last, ...c.params, query.limit - seqs.length, c.grams],
      );
      seqs.push(...rest.map((r) => r.row_seq));
    }
    if (seqs.length === 0) return { items: [], lastSeq: null };
    const rows: Record<string, unknown>[] = await manager.query(
      `SELECT ${ENTRY_COLUMNS}, row_seq FROM catalog_entry WHERE row_seq = ANY($1::bigint[]) ORDER BY row_seq`,
      [seqs],
    );
    return pageOf(rows);
  }
}

function conditionsOf(query: ProvinceSearch): Conditions {
  const where: string[] = [];
  const params: unknown[] = [];
  // $1 is the page's start in every statement.
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length + 1}`));
  };
  const words = searchWords(query.q);
  // LIKE decides; the gram index (search_grams) only finds candidates for it.
  if (words.length > 0) add((p) => `search_text LIKE ALL (${p}::text[])`, words.map(containsPattern));
  if (query.type) add((p) => `type = ${p}`, query.type);
  if (query.category) add((p) => `category = ${p}`, query.category);
  if (query.grade) add((p) => `grade = ${p}`, query.grade);
  if (query.shareType) add((p) => `share_type = ${p}`, query.shareType);
  if (query.openType) add((p) => `open_type = ${p}`, query.openType);
  if (query.providerId) add((p) => `provider_id = ${p}::uuid`, query.providerId.toLowerCase());
  if (query.origin) add((p) => `origin = ${p}`, query.origin);
  add((p) => `status = ${p}`, query.status ?? 'active');
  if (query.openToPublic) where.push(`(${OPEN_TO_PUBLIC})`);
  return { where, params, grams: words.length > 0 ? searchGrams(words) : null };
}

function pageOf(rows: Record<string, unknown>[]): { items: EntryState[]; lastSeq: number | null } {
  return { items: rows.map(toState), lastSeq: rows.length ? Number(rows[rows.length - 1].row_seq) : null };
}
