import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '@tdx/testing';
import { queryReturning } from '../src/common/returning';

/**
 * TypeORM answers an UPDATE or DELETE with [rows, count] and an INSERT with the rows: one helper
 * gives the rows of every statement with RETURNING, by the EntityManager and inside a transaction.
 */
describe('queryReturning', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('returning');
    dataSource = new DataSource({ type: 'postgres', url: db.url });
    await dataSource.initialize();
    await dataSource.query(`CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL)`);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  beforeEach(() => dataSource.query(`TRUNCATE item`));

  it('answers the rows of INSERT, UPDATE and DELETE alike', async () => {
    const inserted = await queryReturning<{ id: number }>(dataSource.manager, `INSERT INTO item VALUES (1, 'a'), (2, 'b') RETURNING id`);
    expect(inserted.map((r) => r.id).sort()).toEqual([1, 2]);

    const updated = await queryReturning<{ id: number; name: string }>(dataSource.manager, `UPDATE item SET name = name || '!' RETURNING id, name`);
    expect(updated.sort((a, b) => a.id - b.id)).toEqual([
      { id: 1, name: 'a!' },
      { id: 2, name: 'b!' },
    ]);

    const deleted = await queryReturning<{ id: number }>(dataSource.manager, `DELETE FROM item WHERE id = $1 RETURNING id`, [2]);
    expect(deleted).toEqual([{ id: 2 }]);
    expect(await db.query(`SELECT id FROM item`)).toEqual([{ id: 1 }]);
  });

  it('answers no rows when nothing matched, not the [rows, count] pair', async () => {
    expect(await queryReturning(dataSource.manager, `UPDATE item SET name = 'x' WHERE id = 42 RETURNING id`)).toEqual([]);
    expect(await queryReturning(dataSource.manager, `DELETE FROM item WHERE id = 42 RETURNING id`)).toEqual([]);
  });

  it('works on a transaction’s query runner', async () => {
    await dataSource.query(`INSERT INTO item VALUES (7, 'seven')`);
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      expect(await queryReturning(runner, `UPDATE item SET name = 'sept' WHERE id = 7 RETURNING name`)).toEqual([{ name: 'sept' }]);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    expect(await db.query(`SELECT name FROM item`)).toEqual([{ name: 'seven' }]);
  });
});
