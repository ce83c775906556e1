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
 * Search over the catalog this node holds. Pages are keyset pages in row_seq order: an entry added
 * while a client pages gets a row_seq above every one already read, so it can only appear on a
 * later page; no entry is repeated or skipped.
 */
@Injectable()
export class CatalogSearchRepository {
  async search(manager: EntityManager, query: ProvinceSearch, afterSeq: number): Promise<{ items: EntryState[]; lastSeq: number | null }> {
    const words = searchWords(query.q);
    const where: string[] = ['row_seq > $1'];
    const params: unknown[] = [afterSeq];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (words.length > 0) {
      // The GIN index finds the entries holding every gram; LIKE then checks the characters are in order.
      add((p) => `search_grams @> ${p}::text[]`, searchGrams(words));
      add((p) => `search_text LIKE ALL (${p}::text[])`, words.map(containsPattern));
    }
    if (query.type) add((p) => `type = ${p}`, query.type);
    if (query.category) add((p) => `category = ${p}`, query.category);
    if (query.grade) add((p) => `grade = ${p}`, query.grade);
    if (query.shareType) add((p) => `share_type = ${p}`, query.shareType);
    if (query.openType) add((p) => `open_type = ${p}`, query.openType);
    if (query.providerId) add((p) => `provider_id = ${p}::uuid`, query.providerId.toLowerCase());
    if (query.origin) add((p) => `origin = ${p}`, query.origin);
    add((p) => `status = ${p}`, query.status ?? 'active');
    if (query.openToPublic) where.push(`(${OPEN_TO_PUBLIC})`);
    params.push(query.limit);
    const rows: Record<string, unknown>[] = await manager.query(
      `SELECT ${ENTRY_COLUMNS}, row_seq FROM catalog_entry WHERE ${where.join(' AND ')} ORDER BY row_seq LIMIT $${params.length}`,
      params,
    );
    return { items: rows.map(toState), lastSeq: rows.length ? Number(rows[rows.length - 1].row_seq) : null };
  }
}
