import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../src/database/database.options';
import { DEFAULT_REJECTED_MESSAGE_CAPS, RejectedMessageRepository } from '../src/federation/rejected-message.repository';
import { createTestDatabase, TestDatabase } from '@tdx/testing';

/**
 * The store of refused messages on a database migrated as a node's is: whatever a sender
 * publishes, it keeps an excerpt, a hash and a count, within a cap per sender and in all.
 */
describe('rejected_message storage', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('rejected');
    dataSource = new DataSource(databaseOptions(db.url));
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  beforeEach(() => db.query('TRUNCATE rejected_message'));

  const reject = (repository: RejectedMessageRepository, sender: string, payload: Buffer, reason = 'envelope is not JSON') =>
    dataSource.transaction((manager) => repository.record(manager, { sender, claimedOrigin: undefined, reason, payload }));

  it('keeps an excerpt, the hash and size of a large payload, and counts its repeats', async () => {
    const repository = new RejectedMessageRepository();
    const junk = Buffer.concat([Buffer.from('\u0000junk '), randomBytes(900 * 1024)]);
    for (let i = 0; i < 100; i++) await reject(repository, '330106', junk);
    const rows = await db.query<{ payload_excerpt: string; payload_sha256: string; payload_bytes: number; repeat_count: number }>(
      `SELECT payload_excerpt, payload_sha256, payload_bytes, repeat_count FROM rejected_message`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      payload_sha256: createHash('sha256').update(junk).digest('hex'),
      payload_bytes: junk.length,
      repeat_count: 100,
    });
    expect(rows[0].payload_excerpt.length).toBeLessThanOrEqual(DEFAULT_REJECTED_MESSAGE_CAPS.excerptChars);
    expect(rows[0].payload_excerpt.startsWith('\\u0000junk ')).toBe(true);
    const [{ bytes }] = await db.query<{ bytes: string }>(`SELECT pg_column_size(payload_excerpt) AS bytes FROM rejected_message`);
    expect(Number(bytes)).toBeLessThan(16 * 1024);
  });

  it('keeps the newest payloads within the cap per sender and the cap in all', async () => {
    const repository = new RejectedMessageRepository({ excerptChars: 64, perSender: 3, total: 5 });
    for (let i = 0; i < 6; i++) await reject(repository, '330106', Buffer.from(`noisy ${i}`));
    // A repeat of a kept payload counts up and adds no row.
    await reject(repository, '330106', Buffer.from('noisy 5'));
    expect(await db.query(`SELECT payload_excerpt, repeat_count FROM rejected_message ORDER BY id`)).toEqual([
      { payload_excerpt: 'noisy 3', repeat_count: 1 },
      { payload_excerpt: 'noisy 4', repeat_count: 1 },
      { payload_excerpt: 'noisy 5', repeat_count: 2 },
    ]);
    for (let i = 0; i < 3; i++) await reject(repository, '330108', Buffer.from(`other ${i}`));
    expect((await db.query<{ payload_excerpt: string }>(`SELECT payload_excerpt FROM rejected_message ORDER BY id`)).map((r) => r.payload_excerpt)).toEqual([
      'noisy 4',
      'noisy 5',
      'other 0',
      'other 1',
      'other 2',
    ]);
  });
});
