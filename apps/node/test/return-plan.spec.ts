import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../src/database/database.options';
import { ReturnsRepository } from '../src/returns/returns.repository';
import { createTestDatabase, TestDatabase } from './support/databases';
import { writeSourceRows } from './support/returns';

/**
 * The holder's plan on a database migrated as a node's: the changes of a jurisdiction cut into
 * ranges of change sequence, each range's bound the change of its last row, and the count of all.
 */
describe('planning a return', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const returns = new ReturnsRepository();
  const entryId = randomUUID();
  // 6,000 rows over two counties, taking turns: 330106 holds the even rows, 330105 the odd ones.
  const ROWS = 6000;

  beforeAll(async () => {
    db = await createTestDatabase('plan');
    dataSource = new DataSource(databaseOptions(db.url));
    await dataSource.initialize(); // runs the node's migrations
    // Rows straight into dataset_row, without a catalog entry: what is tested is the plan.
    await db.query('ALTER TABLE dataset_row DROP CONSTRAINT dataset_row_entry_id_fkey');
    await writeSourceRows(db, entryId, Array.from({ length: ROWS }, (_, i) => ({
      key: `r${String(i).padStart(5, '0')}`, region: i % 2 === 0 ? '330106' : '330105', data: { i },
    })));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  /** The change sequence of each of a county's rows, in change order, by the test's own query. */
  async function changesOf(region: string): Promise<number[]> {
    const rows = await db.query<{ change_seq: string }>(
      'SELECT change_seq FROM dataset_row WHERE entry_id = $1 AND region_code = $2 ORDER BY change_seq', [entryId, region]);
    return rows.map((r) => Number(r.change_seq));
  }

  async function plan(j: { exact?: string; prefix?: string }, size: { max: number; min: number; ranges: number }) {
    const head = await returns.headSeq(dataSource.manager, entryId);
    return returns.planSource(dataSource.manager, entryId, j, 0, head, head, size);
  }

  it('cuts a small transfer into the wanted number of ranges, so both ends can work at once', async () => {
    const changes = await changesOf('330106');
    const { bounds, total } = await plan({ exact: '330106' }, { max: 2500, min: 100, ranges: 8 });
    expect(total).toBe(3000);
    // 3,000 rows in 8 ranges: 375 rows each, the bound of each the change of its 375th row.
    expect(bounds).toEqual([375, 750, 1125, 1500, 1875, 2250, 2625, 3000].map((n) => changes[n - 1]));
  });

  it('makes no range larger than a chunk, nor smaller than the least worth a round trip', async () => {
    const changes = await changesOf('330106');
    const byChunk = await plan({ exact: '330106' }, { max: 1000, min: 100, ranges: 2 });
    expect(byChunk.bounds).toEqual([1000, 2000, 3000].map((n) => changes[n - 1]));
    const byFloor = await plan({ exact: '330106' }, { max: 2500, min: 1200, ranges: 8 });
    expect(byFloor.bounds).toEqual([1200, 2400, 3000].map((n) => changes[n - 1]));
  });

  it('counts a whole subtree for a prefix', async () => {
    const { bounds, total } = await plan({ prefix: '3301' }, { max: 5000, min: 100, ranges: 4 });
    expect(total).toBe(ROWS);
    expect(bounds).toHaveLength(4);
    expect(bounds.at(-1)).toBe(await returns.headSeq(dataSource.manager, entryId));
  });
});
