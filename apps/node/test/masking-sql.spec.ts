import { randomUUID } from 'node:crypto';
import { Client, type PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { copyIn, copyOut } from '../src/database/copy';
import { databaseOptions } from '../src/database/database.options';
import { MaskMode, maskedDataSql, maskPlan, maskPlanTag } from '../src/datasets/masking';
import { cutChunk, readChunk } from '../src/returns/return-chunk';
import { chunkCopySql, ChunkSource } from '../src/datasets/dataset-changes.sql';
import { createTestDatabase, TestDatabase } from '@tdx/testing';
import { oracleMaskRow, oracleMaskValue } from './support/masking-oracle';

/**
 * The holder masks in its database (tdx_mask) and reads a chunk with one COPY statement
 * (chunkCopySql). On a database migrated as a node's is: every rule against the documented
 * examples and against the JavaScript oracle, and the chunk statement against rows with awkward
 * keys, item names and values.
 */
describe('masking and chunk reading in SQL', () => {
  let db: TestDatabase;
  let client: Client;
  const entryId = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase('masking');
    const dataSource = new DataSource(databaseOptions(db.url));
    await dataSource.initialize(); // runs the node's migrations
    await dataSource.destroy();
    // Rows straight into dataset_row, without a catalog entry: what is tested is the read.
    await db.query('ALTER TABLE dataset_row DROP CONSTRAINT dataset_row_entry_id_fkey');
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  async function masked(value: unknown, mode: MaskMode): Promise<unknown> {
    const { rows } = await client.query('SELECT tdx_mask($1::jsonb, $2) AS m', [JSON.stringify(value), mode]);
    return rows[0].m;
  }

  it('keeps a recognisable shape at L1 and L2 (the examples of docs/protocol.md)', async () => {
    const examples: [string, string][] = [
      ['330106199001011234', '330106********1234'],
      ['33010619900101123X', '330106********123X'],
      ['13812345678', '138****5678'],
      ['张三', '张*'],
      ['欧阳小明', '欧***'],
      ['阿依·买买', '阿****'],
      ['𠀀𠀁', '𠀀*'],
      ['zhang.san@example.cn', 'z***@example.cn'],
      ['张三@example.cn', '张***@example.cn'],
      ['1990-05-17', '1990-**-**'],
      ['1990-05-17T08:00:00Z', '1990-**-**'],
      ['West Lake Road 88', 'West*********d 88'],
      ['abc', '***'],
      ['', ''],
    ];
    for (const [value, expected] of examples) {
      expect(await masked(value, 'partial')).toBe(expected);
      expect(oracleMaskValue(value, 'partial')).toBe(expected);
    }
  });

  it('keeps only the separators at L3, and withholds everything at L4 and every non-string', async () => {
    expect(await masked('330106199001011234', 'shape')).toBe('******************');
    expect(await masked('zhang.san@example.cn', 'shape')).toBe('*****.***@*******.**');
    expect(await masked('浙江省杭州市西湖区（文三路）12-3号', 'shape')).toBe('*********（***）**-**');
    expect(await masked('330106199001011234', 'withheld')).toBeNull();
    for (const mode of ['partial', 'shape', 'withheld'] as const) {
      for (const value of [42, 1.5, true, null, { a: 1 }, ['x']]) expect(await masked(value, mode)).toBeNull();
    }
  });

  it('agrees with the oracle on awkward values, in every mode', async () => {
    const values = [
      '王',
      '王五六七八九十',
      '张 三',
      '张三 ',
      'ab @x.cn',
      'a@b@c',
      '@x',
      'x@',
      'a\u3000b@c.cn',
      '1381234567',
      '138123456789',
      '33010619900101123x',
      '3301061990010112345',
      '😀😀😀😀😀😀😀😀',
      'tab\there',
      'line\nbreak',
      'back\\slash',
      'quote"d\'',
      '1234-56-7',
      '２０２０-01-01',
      'Ｘ',
      '\u00A0\u00A0',
      'a—b、c。',
      '・',
      '〇〇',
    ];
    for (const mode of ['partial', 'shape'] as const) {
      for (const value of values) expect([value, await masked(value, mode)]).toEqual([value, oracleMaskValue(value, mode)]);
    }
  });

  describe('the chunk statement', () => {
    const items = [
      { name: 'plain', sensitive: false },
      { name: "it's", sensitive: true },
      { name: 'back\\slash "x"', sensitive: true },
      { name: 'phone', sensitive: true },
    ];
    const rows: { key: string; region: string; data: Record<string, unknown> | null }[] = [
      { key: 'k\t1', region: '330106', data: { plain: 'a\\b\t"c"\n', "it's": '张三', 'back\\slash "x"': '13812345678', phone: 42 } },
      { key: 'k\\2', region: '330108', data: { plain: 'x', phone: '13812345678' } },
      { key: 'k\n3', region: '330100', data: {} },
      { key: 'k4', region: '330212', data: { phone: '13812345678' } },
      { key: 'k5', region: '330106', data: null },
      { key: 'k6', region: '330110', data: { "it's": 'Company Ltd' } },
    ];
    let seqOf: Map<string, number>;

    beforeAll(async () => {
      for (const row of rows) {
        await client.query(
          `INSERT INTO dataset_row (entry_id, row_key, region_code, data, deleted, change_seq) VALUES ($1, $2, $3, $4, $5, nextval('dataset_change_seq'))`,
          [entryId, row.key, row.region, row.data === null ? null : JSON.stringify(row.data), row.data === null],
        );
      }
      const { rows: seqs } = await client.query('SELECT row_key, change_seq::int AS seq FROM dataset_row WHERE entry_id = $1', [entryId]);
      seqOf = new Map(seqs.map((r) => [r.row_key as string, r.seq as number]));
    });

    /** Reads with chunkCopySql, then loads the COPY text back with COPY FROM, as a receiver would. */
    async function read(overrides: Partial<ChunkSource>, grade: 'L2' | 'L3' | 'L4' = 'L2') {
      const source: ChunkSource = {
        entryId,
        jurisdiction: { prefix: '3301' },
        after: 0,
        upto: 1_000_000,
        tombstonesAfter: 0,
        mask: maskPlan(grade, items),
        limit: 100,
        ordered: true,
        ...overrides,
      };
      const text = await copyOut(client as unknown as PoolClient, chunkCopySql(source));
      await client.query('CREATE TEMP TABLE IF NOT EXISTS landed (row_key text, region_code text, seq bigint, data jsonb)');
      await client.query('TRUNCATE landed');
      await copyIn(client as unknown as PoolClient, 'COPY landed FROM STDIN', text);
      const { rows: landed } = await client.query('SELECT row_key AS key, region_code AS region, seq::int AS seq, data FROM landed ORDER BY seq');
      return { text, landed };
    }

    it.each(['L2', 'L3', 'L4'] as const)('sends exactly the rows of the subtree in change order, masked like the oracle (%s)', async (grade) => {
      const { landed } = await read({}, grade);
      const expected = rows
        .filter((r) => r.region.startsWith('3301'))
        .map((r) => ({
          key: r.key,
          region: r.region,
          seq: seqOf.get(r.key),
          data: r.data === null ? null : oracleMaskRow(r.data, maskPlan(grade, items)),
        }));
      expect(landed).toEqual(expected);
    });

    it('serves the copy masked at rest while its plan is the current one, and masks again under another', async () => {
      const l2 = maskPlan('L2', items);
      // As DatasetLoad.merge writes it: the row's masked copy and the plan it was masked under.
      await client.query(`UPDATE dataset_row SET masked = ${maskedDataSql(l2)}, masked_under = $2 WHERE entry_id = $1 AND NOT deleted`, [
        entryId,
        maskPlanTag(l2),
      ]);
      const { rows: copies } = await client.query('SELECT row_key AS key, masked FROM dataset_row WHERE entry_id = $1 AND NOT deleted', [entryId]);
      for (const copy of copies) expect(copy.masked).toEqual(oracleMaskRow(rows.find((r) => r.key === copy.key)!.data!, l2));
      try {
        // A marker in one copy shows which is served: the copy under its own plan, a fresh mask under any other.
        await client.query(`UPDATE dataset_row SET masked = '{"served": "at rest"}' WHERE entry_id = $1 AND row_key = 'k6'`, [entryId]);
        const underL2 = (await read({}, 'L2')).landed.find((r) => r.key === 'k6');
        const underL3 = (await read({}, 'L3')).landed.find((r) => r.key === 'k6');
        expect(underL2?.data).toEqual({ served: 'at rest' });
        expect(underL3?.data).toEqual(oracleMaskRow(rows.find((r) => r.key === 'k6')!.data!, maskPlan('L3', items)));
      } finally {
        await client.query('UPDATE dataset_row SET masked = NULL, masked_under = NULL WHERE entry_id = $1', [entryId]);
      }
    });

    it("reads a share grant's regions (any of several) and only its items, masked; a deletion stays \\N", async () => {
      const granted = ['plain', "it's", 'not an item'];
      const { landed } = await read({ jurisdiction: { anyOf: ['330106', '330212'] }, items: granted });
      const pick = (data: Record<string, unknown>) => Object.fromEntries(Object.entries(data).filter(([k]) => granted.includes(k)));
      const expected = rows
        .filter((r) => r.region === '330106' || r.region === '330212')
        .map((r) => ({
          key: r.key,
          region: r.region,
          seq: seqOf.get(r.key),
          data: r.data === null ? null : pick(oracleMaskRow(r.data, maskPlan('L2', items))),
        }));
      expect(landed).toEqual(expected);
      // k4 has none of the granted items: an empty object, not a deletion.
      expect(landed.find((r) => r.key === 'k4')?.data).toEqual({});
    });

    it('selects by exact region, sequence range, tombstone cut-off and limit', async () => {
      expect((await read({ jurisdiction: { exact: '330106' } })).landed.map((r) => r.key)).toEqual(['k\t1', 'k5']);
      expect((await read({ jurisdiction: { exact: '330106' }, tombstonesAfter: seqOf.get('k5') })).landed.map((r) => r.key)).toEqual(['k\t1']);
      expect((await read({ after: seqOf.get('k\t1'), upto: seqOf.get('k\n3') })).landed.map((r) => r.key)).toEqual(['k\\2', 'k\n3']);
      expect((await read({ limit: 2 })).landed.map((r) => r.key)).toEqual(['k\t1', 'k\\2']);
      expect((await read({ jurisdiction: { prefix: '3303' } })).landed).toEqual([]);
      // Unordered: the same rows, in whatever order the index gives them.
      const unordered = (await read({ ordered: false })).landed.map((r) => r.key).sort();
      expect(unordered).toEqual((await read({})).landed.map((r) => r.key).sort());
    });

    it('is cut into whole lines by size, reporting the last sequence sent', async () => {
      const { text } = await read({});
      const whole = cutChunk(text, text.length);
      expect(whole).toMatchObject({ rows: 5, cut: false, lastSeq: seqOf.get('k6') });
      const firstLine = text.indexOf(0x0a) + 1;
      expect(cutChunk(text, firstLine + 1)).toMatchObject({ rows: 1, cut: true, lastSeq: seqOf.get('k\t1') });
      expect(cutChunk(text, 1)).toMatchObject({ rows: 1, cut: true, lastSeq: seqOf.get('k\t1') });
      expect(cutChunk(Buffer.alloc(0), 10)).toMatchObject({ rows: 0, cut: false, lastSeq: null });
    });

    it('is read whole and unsorted when the range fits, and again in change order, cut, when it does not', async () => {
      const calls: boolean[] = [];
      const source: ChunkSource = {
        entryId,
        jurisdiction: { prefix: '3301' },
        after: 0,
        upto: 1_000_000,
        tombstonesAfter: 0,
        mask: maskPlan('L2', items),
        limit: 0,
        ordered: false,
      };
      const read = (ordered: boolean, limit: number) => {
        calls.push(ordered);
        return copyOut(client as unknown as PoolClient, chunkCopySql({ ...source, ordered, limit }));
      };
      const whole = await readChunk(read, 1_000_000, 100);
      expect(whole).toMatchObject({ rows: 5, cut: false, lastSeq: null });
      expect(calls).toEqual([false]);
      const text = await read(true, 100);
      calls.length = 0;
      expect(await readChunk(read, text.indexOf(0x0a) + 2, 100)).toMatchObject({ rows: 1, cut: true, lastSeq: seqOf.get('k\t1') });
      expect(calls).toEqual([false, true]);
      expect(await readChunk(read, 1_000_000, 2)).toMatchObject({ rows: 2, cut: true, lastSeq: seqOf.get('k\\2') });
    });

    it('sends a row that left the jurisdiction as a deletion where it was, unless it is back', async () => {
      const write = (key: string, region: string) =>
        client.query(
          `INSERT INTO dataset_row (entry_id, row_key, region_code, data, deleted, change_seq) VALUES ($1, $2, $3, '{"plain": "m"}', false, nextval('dataset_change_seq'))
         ON CONFLICT (entry_id, row_key) DO UPDATE SET region_code = EXCLUDED.region_code, change_seq = EXCLUDED.change_seq`,
          [entryId, key, region],
        );
      await write('m1', '330108');
      await write('m2', '330110');
      const [{ seq: loaded }] = (await client.query(`SELECT last_value::int AS seq FROM dataset_change_seq`)).rows;
      await write('m1', '330212'); // leaves Hangzhou for Ningbo
      await write('m2', '330106'); // moves inside Hangzhou
      const seq = async (key: string) =>
        (await client.query(`SELECT change_seq::int AS s FROM dataset_row WHERE entry_id = $1 AND row_key = $2`, [entryId, key])).rows[0].s;
      const [m1, m2] = [await seq('m1'), await seq('m2')];
      const moves = async (overrides: Partial<ChunkSource>) => (await read({ after: loaded, ...overrides })).landed;
      const data = { plain: 'm' };
      expect(await moves({})).toEqual([
        { key: 'm1', region: '330108', seq: m1, data: null },
        { key: 'm2', region: '330106', seq: m2, data },
      ]);
      expect(await moves({ jurisdiction: { exact: '330110' } })).toEqual([{ key: 'm2', region: '330110', seq: m2, data: null }]);
      expect(await moves({ jurisdiction: { exact: '330106' } })).toEqual([{ key: 'm2', region: '330106', seq: m2, data }]);
      expect(await moves({ jurisdiction: { prefix: '3302' } })).toEqual([{ key: 'm1', region: '330212', seq: m1, data }]);
      // A full job's first pass sends no deletions before its head.
      expect(await moves({ tombstonesAfter: m2 })).toEqual([{ key: 'm2', region: '330106', seq: m2, data }]);
      await write('m1', '330108'); // back in Hangzhou: its deletion is no longer sent, the row is
      expect(await moves({})).toEqual([
        { key: 'm2', region: '330106', seq: m2, data },
        { key: 'm1', region: '330108', seq: await seq('m1'), data },
      ]);
    });

    it('refuses values it cannot write in as literals', () => {
      const base: ChunkSource = {
        entryId,
        jurisdiction: { exact: '330106' },
        after: 0,
        upto: 1,
        tombstonesAfter: 0,
        mask: maskPlan('L2', items),
        limit: 1,
        ordered: true,
      };
      expect(() => chunkCopySql({ ...base, entryId: "x'; DROP TABLE dataset_row; --" })).toThrow(RangeError);
      expect(() => chunkCopySql({ ...base, jurisdiction: { exact: "330106' OR true --" } })).toThrow(RangeError);
      expect(() => chunkCopySql({ ...base, after: 1.5 })).toThrow(RangeError);
      expect(() => chunkCopySql({ ...base, jurisdiction: { anyOf: ['330106', "3302' OR true --"] } })).toThrow(RangeError);
      expect(() => chunkCopySql({ ...base, jurisdiction: { anyOf: [] } })).toThrow(RangeError);
      expect(() => chunkCopySql({ ...base, jurisdiction: { prefix: '3301', anyOf: ['3302'] } })).toThrow(RangeError);
      expect(() => chunkCopySql({ ...base, mask: { mode: "partial'" as MaskMode, sensitive: [] } })).toThrow(RangeError);
    });
  });
});
