import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../src/database/database.options';
import { ChunkRefused } from '../src/returns/return-chunk';
import { ReturnedRowsWriter } from '../src/returns/returned-rows.writer';
import { createTestDatabase, TestDatabase } from '@tdx/testing';

/**
 * The receiver's writer on a database migrated as a node's is: a full job's chunk goes straight
 * into returned_row, a chunk written again falls back to the upsert (changing nothing older, taking
 * what is newer), deletions and incremental jobs take the general way, and a bad chunk changes
 * nothing at all.
 */
describe('writing returned rows', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let writer: ReturnedRowsWriter;
  const county = { exact: '330106' };

  beforeAll(async () => {
    db = await createTestDatabase('writer');
    dataSource = new DataSource(databaseOptions(db.url));
    await dataSource.initialize();
    writer = new ReturnedRowsWriter(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  async function newJob(kind: 'full' | 'incremental') {
    const requestId = randomUUID();
    const id = randomUUID();
    await db.query(
      `INSERT INTO return_request (id, direction, entry_id, holder, requester, scope, purpose, state, entry, created_at, updated_at)
       VALUES ($1, 'outgoing', $2, '330000', '330106', 'self', 'test', 'granted', '{}', now(), now())`,
      [requestId, randomUUID()],
    );
    await db.query(`INSERT INTO return_job (id, request_id, kind, state) VALUES ($1, $2, $3, 'running')`, [id, requestId, kind]);
    return { id, requestId, kind };
  }

  const line = (key: string, seq: number, data: Record<string, unknown> | null) => `${key}\t330106\t${seq}\t${data === null ? '\\N' : JSON.stringify(data)}\n`;
  const chunk = (after: number, through: number, lines: string[]) => ({ after, through, rows: lines.length, attachment: Buffer.from(lines.join('')) });

  async function state(job: { id: string; requestId: string }) {
    const rows = await db.query<{ row_key: string; data: unknown; source_seq: string }>(
      'SELECT row_key, data, source_seq FROM returned_row WHERE request_id = $1 ORDER BY row_key',
      [job.requestId],
    );
    const [cursor] = await db.query<{ after_seq: string; rows_done: string; upserts: string; deletes: string }>(
      'SELECT after_seq, rows_done, upserts, deletes FROM return_job WHERE id = $1',
      [job.id],
    );
    return { rows: rows.map((r) => [r.row_key, r.data, Number(r.source_seq)]), cursor: Object.values(cursor).map(Number) };
  }

  it("writes a full job's chunks straight in, and a range pulled again after a restart changes only what is newer", async () => {
    const job = await newJob('full');
    // (10, 20] commits ahead of the cursor; the node then restarts and forgets it, as the runner does.
    expect(await writer.apply(job, county, chunk(10, 20, [line('a', 12, { v: 1 }), line('b', 17, { v: 1 })]))).toEqual({ upserts: 2, deletes: 0 });
    await writer.forgetRangesAhead(job.id);
    expect(await writer.apply(job, county, chunk(0, 10, [line('c', 5, { v: 1 })]))).toEqual({ upserts: 1, deletes: 0 });
    // (10, 20] again, with b changed at the source since (seq 19): the COPY meets rows already
    // there, and the upsert takes over, leaving a (same sequence) as it was.
    const again = chunk(10, 20, [line('a', 12, { v: 'a second copy' }), line('b', 19, { v: 2 })]);
    expect(await writer.apply(job, county, again)).toEqual({ upserts: 1, deletes: 0 });
    expect(await state(job)).toEqual({
      rows: [
        ['a', { v: 1 }, 12],
        ['b', { v: 2 }, 19],
        ['c', { v: 1 }, 5],
      ],
      cursor: [20, 3, 2, 0],
    });
  });

  it('moves the cursor over ranges that commit out of order, once the gap before them closes', async () => {
    const job = await newJob('full');
    // The transfer writes two ranges at once: either may commit first.
    await writer.apply(job, county, chunk(20, 30, [line('d', 25, { v: 1 })]));
    expect((await state(job)).cursor).toEqual([0, 0, 0, 0]);
    await Promise.all([
      writer.apply(job, county, chunk(10, 20, [line('b', 12, { v: 1 }), line('c', 17, { v: 1 })])),
      writer.apply(job, county, chunk(0, 10, [line('a', 5, { v: 1 })])),
    ]);
    expect(await state(job)).toEqual({
      rows: [
        ['a', { v: 1 }, 5],
        ['b', { v: 1 }, 12],
        ['c', { v: 1 }, 17],
        ['d', { v: 1 }, 25],
      ],
      cursor: [30, 4, 4, 0],
    });
    expect(await db.query('SELECT * FROM return_job_range WHERE job_id = $1', [job.id])).toEqual([]);
  });

  it('applies deletions and incremental chunks by the upsert, never over a newer row', async () => {
    const job = await newJob('incremental');
    await writer.apply(job, county, chunk(0, 5, [line('a', 2, { v: 1 }), line('b', 5, { v: 1 })]));
    expect(await writer.apply(job, county, chunk(5, 9, [line('a', 6, null), line('c', 9, { v: 1 })]))).toEqual({ upserts: 1, deletes: 1 });
    expect((await state(job)).rows).toEqual([
      ['b', { v: 1 }, 5],
      ['c', { v: 1 }, 9],
    ]);
  });

  it("lets no row land without a request: the request column's default needs the writer's setting", async () => {
    const error = await db.query(`INSERT INTO returned_row (row_key, region_code, data, source_seq) VALUES ('x', '330106', '{}', 1)`).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/tdx.returned_row_request/);
  });

  it.each([
    ['a key twice', [line('a', 2, { v: 1 }), line('a', 3, { v: 2 })], false, /row key twice/],
    ['a value the database refuses', ['a\t330106\t2\t{"v": nope}\n'], false, /not well-formed/],
    ['a row of another county', [line('a', 2, { v: 1 }).replace('330106', '330108')], true, /outside the jurisdiction/],
  ])('refuses %s and writes nothing, cursor included', async (_what, lines, permanent, message) => {
    const job = await newJob('full');
    const before = await state(job);
    const error = await writer.apply(job, county, chunk(0, 5, lines)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChunkRefused);
    expect(error).toMatchObject({ permanent, message: expect.stringMatching(message) });
    expect(await state(job)).toEqual(before);
  });
});
