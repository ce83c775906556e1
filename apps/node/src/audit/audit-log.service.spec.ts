import type { DataSource, EntityManager } from 'typeorm';
import { AUDIT_GENESIS_HASH, AuditChainWalker, AuditRecord } from '@tdx/contracts';
import { AuditLog } from './audit-log.service';
import type { AuditRepository } from './audit.repository';

/** The log over an in-memory head and table: what the group commit does, without a database. */
function inMemoryLog() {
  const table: AuditRecord[] = [];
  let head = { seq: 0, hash: AUDIT_GENESIS_HASH };
  let transactions = 0;
  const repository = {
    lockHead: async () => head,
    insert: async (_manager: EntityManager, records: AuditRecord[]) => {
      table.push(...records);
      head = { seq: records[records.length - 1].seq, hash: records[records.length - 1].hash };
    },
  } as unknown as AuditRepository;
  const dataSource = {
    transaction: async <T>(work: (manager: EntityManager) => Promise<T>) => {
      transactions += 1;
      await new Promise((resolve) => setImmediate(resolve)); // a commit takes a while
      return work({} as EntityManager);
    },
  } as unknown as DataSource;
  return { log: new AuditLog(dataSource, repository), table, transactions: () => transactions };
}

const event = (n: number) => ({ actor: 'user:admin', action: 'POST /api/v1/institutions', target: `id-${n}`, outcome: '201' });

function within<T>(promise: Promise<T>, ms = 1000): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms))]);
}

describe('AuditLog group commit', () => {
  it('writes appends that arrive while a group is being written in one transaction, as one linear chain', async () => {
    const { log, table, transactions } = inMemoryLog();
    const records = await within(Promise.all(Array.from({ length: 30 }, (_, i) => log.append(event(i)))));
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // The first is written at once; the 29 that arrived meanwhile share the next transaction.
    expect(transactions()).toBe(2);
    const walker = new AuditChainWalker();
    table.forEach((r) => walker.push(r));
    expect(walker.finish()).toMatchObject({ ok: true, records: 30 });
  });

  it('never leaves an append waiting: one made as the writer finishes starts the next group', async () => {
    const { log, table } = inMemoryLog();
    // Each append is made the moment the previous one resolves, i.e. while the writer is about to stop.
    let last = log.append(event(0));
    for (let i = 1; i <= 20; i++) last = last.then(() => log.append(event(i)));
    await expect(within(last)).resolves.toMatchObject({ seq: 21 });
    expect(table.map((r) => r.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('fails the appends of a group whose transaction fails, and writes the next group', async () => {
    const { log } = inMemoryLog();
    const failing = log.append({ ...event(0), details: { bad: 1n } as unknown as Record<string, unknown> });
    await expect(within(failing)).rejects.toThrow();
    await expect(within(log.append(event(1)))).resolves.toMatchObject({ seq: 1 });
  });
});
