import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '@tdx/testing';
import { databaseOptions } from '../src/database/database.options';
import { CatalogSearchRepository } from '../src/search/catalog-search.repository';
import type { ProvinceSearch } from '../src/search/province-catalog';

/**
 * The search statements on a database migrated as a node's, with a probe window of 100 entries
 * over 1,000: common words fill their page inside the window, rare ones are found by the gram
 * index past it, and paging across the window's edge returns exactly what an independent query
 * says, in order, nothing repeated or skipped.
 */
describe('catalog search in SQL, across the probe window', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const repository = new CatalogSearchRepository();
  repository.probeWindow = 100;

  beforeAll(async () => {
    db = await createTestDatabase('search_sql');
    dataSource = new DataSource(databaseOptions(db.url));
    await dataSource.initialize(); // runs the node's migrations
    // Every 3rd entry 企业 (common), five 稀有 (rare: one inside the first window, the rest past
    // it), every 7th at 330108, every 11th retired; 营业执照 in every 2nd from 500 on (common, but
    // only after many windows without one).
    await db.query(`
      INSERT INTO catalog_entry (id, origin, code, type, name, summary, provider_id, category, grade, share_type, open_type,
                                 update_cycle, format, region_scope, data_items, related_resources, status, version, created_at, updated_at)
      SELECT gen_random_uuid(), CASE WHEN i % 7 = 0 THEN '330108' ELSE '330106' END, 'C-' || lpad(i::text, 5, '0'), 'data',
             concat_ws(' ', CASE WHEN i % 3 = 0 THEN '企业登记' END, CASE WHEN i IN (40, 260, 261, 777, 999) THEN '稀有资料' END,
                       CASE WHEN i >= 500 AND i % 2 = 0 THEN '营业执照' END, 'entry' || i),
             'summary', gen_random_uuid(), 'test', 'L1', 'unconditional', 'unconditional', 'daily', 'csv', '330106',
             CASE WHEN i % 5 = 0 THEN '[{"name":"legal_person","type":"string","sensitive":false}]'::jsonb ELSE '[]'::jsonb END, '[]',
             CASE WHEN i % 11 = 0 THEN 'retired' ELSE 'active' END, 1, now(), now()
      FROM generate_series(1, 1000) i`);
    await db.query('ANALYZE catalog_entry');
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  /** Every page of `query`, `limit` at a time: the codes in the order served. */
  async function allPages(query: Omit<ProvinceSearch, 'limit'>, limit: number): Promise<string[]> {
    const codes: string[] = [];
    let after = 0;
    for (;;) {
      const page = await repository.search(dataSource.manager, { ...query, limit }, after);
      codes.push(...page.items.map((e) => e.code));
      if (page.lastSeq === null || page.items.length < limit) return codes;
      after = page.lastSeq;
    }
  }

  /** The same by a plain query: the text contains every word, the filters hold, in row_seq order. */
  async function expected(words: string[], extra = "status = 'active'"): Promise<string[]> {
    const rows = await db.query<{ code: string }>(
      `SELECT code FROM catalog_entry WHERE ${words.map((_, i) => `strpos(lower(name || ' ' || summary || ' ' || code || ' ' || data_items::text), $${i + 1}) > 0`).join(' AND ') || 'true'} AND ${extra} ORDER BY row_seq`,
      words,
    );
    return rows.map((r) => r.code);
  }

  it.each([
    ['a common word', '企业', 7],
    ['a rare word, past the window', '稀有', 2],
    ['a word common only late in the table', '营业执照', 9],
    ['two words', '企业 稀有', 3],
    ['an item name, ASCII, any case', 'Legal_Person', 50],
    ['a word nowhere', '没有', 5],
  ])('%s: every page joined equals an independent query', async (_label, q, limit) => {
    const words = q.toLowerCase().split(' ');
    const want = await expected(words);
    expect(await allPages({ q }, limit)).toEqual(want);
  });

  it('with a filter that leaves few matches in each window', async () => {
    const want = await expected(['企业'], "status = 'active' AND origin = '330108'");
    expect(want.length).toBeGreaterThan(10);
    expect(await allPages({ q: '企业', origin: '330108' }, 4)).toEqual(want);
  });

  it('retired entries only when asked for', async () => {
    const want = await expected(['稀有'], "status = 'retired'");
    expect(await allPages({ q: '稀有', status: 'retired' }, 3)).toEqual(want);
  });
});
