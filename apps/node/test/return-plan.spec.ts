import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../src/database/database.options';
import { DatasetRowRepository } from '../src/datasets/dataset-row.repository';
import { CatalogEntryRepository } from '../src/catalog/catalog-entry.repository';
import { createTestDatabase, TestDatabase } from '@tdx/testing';
import { writeSourceRowsUnmaskedAtRest } from './support/returns';

/**
 * The holder's plan on a database migrated as a node's: the changes of a jurisdiction cut into
 * ranges of change sequence, each range's bound the change of its last row, and the count of all.
 */
describe('planning a return', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let datasetRows: DatasetRowRepository;
  const entryId = randomUUID();
  // 6,000 rows over two counties, taking turns: 330106 holds the even rows, 330105 the odd ones.
  const ROWS = 6000;

  beforeAll(async () => {
    db = await createTestDatabase('plan');
    dataSource = new DataSource(databaseOptions(db.url));
    await dataSource.initialize(); // runs the node's migrations
    datasetRows = new DatasetRowRepository(dataSource, new CatalogEntryRepository());
    // Rows straight into dataset_row, without a catalog entry (so without a plan to mask them at
    // rest under): what is tested is the plan of ranges.
    await db.query('ALTER TABLE dataset_row DROP CONSTRAINT dataset_row_entry_id_fkey');
    await writeSourceRowsUnmaskedAtRest(
      db,
      entryId,
      Array.from({ length: ROWS }, (_, i) => ({
        key: `r${String(i).padStart(5, '0')}`,
        region: i % 2 === 0 ? '330106' : '330105',
        data: { i },
      })),
    );
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  /** The change sequence of each of a county's rows, in change order, by the test's own query. */
  async function changesOf(region: string): Promise<number[]> {
    const rows = await db.query<{ change_seq: string }>('SELECT change_seq FROM dataset_row WHERE entry_id = $1 AND region_code = $2 ORDER BY change_seq', [
      entryId,
      region,
    ]);
    return rows.map((r) => Number(r.change_seq));
  }

  async function plan(j: { exact?: string; prefix?: string }, rowsPerRange: number) {
    const head = await datasetRows.lastChangeSeq(dataSource.manager, entryId);
    return datasetRows.planSource(dataSource.manager, entryId, j, 0, head, head, rowsPerRange);
  }

  it("cuts a county's changes into ranges of the given size, the last holding the rest", async () => {
    const changes = await changesOf('330106');
    const byThousand = await plan({ exact: '330106' }, 1000);
    expect(byThousand).toEqual({ bounds: [1000, 2000, 3000].map((n) => changes[n - 1]), total: 3000 });
    const by1200 = await plan({ exact: '330106' }, 1200);
    expect(by1200).toEqual({ bounds: [1200, 2400, 3000].map((n) => changes[n - 1]), total: 3000 });
  });

  it('counts a whole subtree for a prefix, its last bound the head', async () => {
    const { bounds, total } = await plan({ prefix: '3301' }, 2500);
    expect(total).toBe(ROWS);
    expect(bounds).toHaveLength(3);
    expect(bounds.at(-1)).toBe(await datasetRows.lastChangeSeq(dataSource.manager, entryId));
  });
});
