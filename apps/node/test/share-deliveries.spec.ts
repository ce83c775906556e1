import {
  api,
  authHeaders,
  createTestDatabase,
  deleteNamespaceStreams,
  eventually,
  NodeProcess,
  SHARED_NATS_URL,
  TestDatabase,
  testNamespace,
} from '@tdx/testing';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';
import { awaitTrustLists } from './support/replication';
import { returnedRows, SourceRow, sourceRowsIn, writeSourceRows } from './support/returns';
import { oracleMaskRow } from './support/masking-oracle';
import { maskPlan } from '../src/datasets/masking';
import { Channel } from '../src/channel/channel';
import { DomainRefusal } from '../src/common/domain-refusal';
import { ShareClock } from '../src/sharing/share-clock';

const YEAR_AHEAD = new Date(Date.now() + 365 * 86_400_000).toISOString();
const ITEMS = [
  { name: 'uscc', type: 'string', sensitive: false },
  { name: 'company', type: 'string', sensitive: false },
  { name: 'legal_person', type: 'string', sensitive: true },
  { name: 'phone', type: 'string', sensitive: true },
  { name: 'capital', type: 'integer', sensitive: false },
] as const;
const GRANTED = ['uscc', 'company', 'phone'];
const PLAN = maskPlan('L2', [...ITEMS]);

function sourceRows(region: string, count: number, from = 0, label = 'Company'): SourceRow[] {
  return Array.from({ length: count }, (_, n) => {
    const i = from + n;
    return {
      key: `${region}-${String(i).padStart(5, '0')}`,
      region,
      data: {
        uscc: `91${region}MA${String(i).padStart(8, '0')}`,
        company: `${label} ${region}/${i}`,
        legal_person: i % 2 ? '张三' : '欧阳小明',
        phone: `138${String(10_000_000 + i).slice(-8)}`,
        capital: 1000 * i,
      },
    };
  });
}

/**
 * Deliveries of a granted share (Article 10, docs/protocol.md "Sharing: deliveries"): Hangzhou
 * 330100 (in process) copies the grant of an entry of Yinzhou 330212 (a real process from
 * dist/main.js, so that it can be SIGKILLed) into its own database through the channel. What
 * arrives is compared with an independent SQL query at the provider, masked by the test's own
 * oracle. Build first (npm run build).
 */
describe('share deliveries: the whole grant into the consumer node, resumable, verified, incremental', () => {
  const namespace = testNamespace();
  const databases: Record<string, TestDatabase> = {};
  const inProcess: RunningNode[] = [];
  let provider: NodeProcess;
  let ningbo: NodeProcess;
  let consumer: RunningNode & { app: INestApplication };
  let entryId = '';
  let shareId = '';

  beforeAll(async () => {
    for (const code of ['330000', '330100', '330200', '330212']) databases[code] = await createTestDatabase(`deliver14_${code}`);
    const spec = (code: string, parentCode?: string) => ({
      code,
      parentCode,
      databaseUrl: databases[code].url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
    });
    inProcess.push(await startInProcessNode(spec('330000')));
    consumer = await startInProcessNode(spec('330100', '330000'));
    inProcess.push(consumer);
    // Ningbo is a second consumer, a real process too, to be SIGKILLed mid-delivery.
    ningbo = await NodeProcess.start(spec('330200', '330000'));
    await ningbo.waitJoined();
    provider = await NodeProcess.start(spec('330212', '330200'));
    await provider.waitJoined();
    const institution = await api(provider.url, 'POST', '/api/v1/institutions', sampleInstitution('Yinzhou Market Regulator'));
    const created = await api(provider.url, 'POST', '/api/v1/catalog/entries', {
      type: 'data',
      name: 'Enterprise register',
      summary: 'Enterprises of the district',
      providerId: institution.body.id,
      category: 'market-regulation',
      grade: 'L2',
      shareType: 'unconditional',
      openType: 'restricted',
      updateCycle: 'daily',
      dataItems: ITEMS,
    });
    expect(created.status).toBe(201);
    entryId = created.body.id;
    // The grant's region holds 3,000 rows; a neighbour's and another city's must stay out.
    await writeSourceRows(databases['330212'], entryId, [...sourceRows('330212', 3000), ...sourceRows('330203', 400), ...sourceRows('330106', 300)]);
    await awaitTrustLists([...inProcess.map((n) => n.url), ningbo.url, provider.url], ['330000', '330100', '330200', '330212']);
    await eventually(async () => {
      const held = await databases['330000'].query<{ n: string }>('SELECT count(*) AS n FROM catalog_entry WHERE origin = $1', ['330212']);
      expect(Number(held[0].n)).toBe(1);
    }, 30_000);
    const asked = await api(consumer.url, 'POST', '/api/v1/shares', {
      entryId,
      items: GRANTED,
      regions: ['330212'],
      purpose: 'licence checks',
      expiresAt: YEAR_AHEAD,
    });
    expect(asked.status).toBe(201);
    shareId = asked.body.id;
    await eventually(async () => expect((await api(consumer.url, 'GET', `/api/v1/shares/${shareId}`)).body.state).toBe('granted'), 30_000);
  }, 240_000);

  afterAll(async () => {
    await provider?.stop();
    await ningbo?.stop();
    await Promise.all(inProcess.map((n) => n.stop()));
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    await Promise.all(Object.values(databases).map((d) => d.drop()));
  });

  /** What the grant should bring, by the test's own query at the provider: its region's live rows, masked by the oracle, granted items only. */
  async function expected(): Promise<Map<string, { region: string; data: Record<string, unknown> }>> {
    const live = await sourceRowsIn(databases['330212'], entryId, `region_code LIKE '330212%'`);
    const pick = (data: Record<string, unknown>) => Object.fromEntries(Object.entries(oracleMaskRow(data, PLAN)).filter(([k]) => GRANTED.includes(k)));
    return new Map([...live].map(([key, row]) => [key, { region: row.region, data: pick(row.data) }]));
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- views are read loosely and asserted on
  async function finished(deliveryId: string, timeoutMs = 90_000): Promise<any> {
    let view: { state: string } = { state: 'running' };
    await eventually(
      async () => {
        view = (await api(consumer.url, 'GET', `/api/v1/shares/${shareId}/deliveries/${deliveryId}`)).body;
        expect(view.state).not.toBe('running');
      },
      timeoutMs,
      200,
    );
    return view;
  }

  async function deliver(): Promise<{ id: string; kind: string }> {
    const started = await api(consumer.url, 'POST', `/api/v1/shares/${shareId}/deliveries`);
    expect(started.status).toBe(202);
    return started.body;
  }

  const deliveryAudit = (code: string) =>
    databases[code].query<{ outcome: string; details: Record<string, unknown> }>(
      `SELECT outcome, details FROM audit_record WHERE target = $1 AND action = 'share.deliver' ORDER BY seq`,
      [shareId],
    );

  /**
   * A new version of each of the grant's live rows: 2,980 of the first 3,000 (20 were deleted) and
   * `from3000` from key 3000 on (30 were added; more are added here when `from3000` is larger).
   */
  const touchEveryLiveRow = (label: string, from3000: number) =>
    writeSourceRows(databases['330212'], entryId, [...sourceRows('330212', 2980, 0, label), ...sourceRows('330212', from3000, 3000, label)]);

  /** Holds the consumer's returned_row (SHARE lock): a chunk pulled meanwhile waits to be written until `release`. */
  async function holdWrites(code = '330100'): Promise<{ release: () => Promise<void>; chunkWaiting: () => Promise<void> }> {
    const client = new Client({ connectionString: databases[code].url });
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE returned_row IN SHARE MODE');
    return {
      release: async () => {
        await client.query('COMMIT');
        await client.end();
      },
      chunkWaiting: () =>
        eventually(
          async () => {
            const waiting = await databases[code].query<{ n: string }>(
              `SELECT count(*) AS n FROM pg_locks WHERE relation = 'returned_row'::regclass AND NOT granted`,
            );
            expect(Number(waiting[0].n)).toBeGreaterThan(0);
          },
          30_000,
          100,
        ),
    };
  }

  it('bad input: a clear refusal, nothing stored', async () => {
    const deliveries = async () => Number((await databases['330100'].query<{ n: string }>('SELECT count(*) AS n FROM share_delivery'))[0].n);
    const before = await deliveries();
    const unknown = '6f1c3a52-1d9e-4a34-9d8e-0b3c2a7e9f10';
    expect((await api(consumer.url, 'POST', `/api/v1/shares/${unknown}/deliveries`)).status).toBe(404);
    expect((await api(consumer.url, 'POST', '/api/v1/shares/not-a-uuid/deliveries')).status).toBe(400);
    // The provider's end of a grant is not a consumer's: nothing to deliver there.
    expect((await api(provider.url, 'POST', `/api/v1/shares/${shareId}/deliveries`)).status).toBe(404);
    expect((await api(consumer.url, 'GET', `/api/v1/shares/${shareId}/deliveries/${unknown}`)).status).toBe(404);
    expect((await api(consumer.url, 'GET', `/api/v1/shares/${shareId}/rows?cursor=garbage`)).status).toBe(400);
    expect((await api(consumer.url, 'GET', `/api/v1/shares/${shareId}/rows?region=abc`)).status).toBe(400);
    expect((await api(consumer.url, 'GET', `/api/v1/shares/${shareId}/rows?limit=5001`)).status).toBe(400);
    expect(await deliveries()).toBe(before);
  });

  it('a full delivery: every row of the grant and nothing else, masked, in several verified chunks; audited once at each end; readable locally', async () => {
    const started = await deliver();
    expect(started.kind).toBe('full');
    const done = await finished(started.id);
    expect(done).toMatchObject({ state: 'done', kind: 'full', rowsDone: 3000, upserts: 3000, deletes: 0, rule: null });
    expect(done.chunks).toBeGreaterThan(1);
    expect(await returnedRows(databases['330100'], shareId)).toEqual(await expected());

    // Readable at the consumer, paged, in row key order.
    const first = await api(consumer.url, 'GET', `/api/v1/shares/${shareId}/rows?limit=1000`);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(1000);
    expect(first.body.items[0]).toEqual({ rowKey: '330212-00000', regionCode: '330212', data: (await expected()).get('330212-00000')?.data });
    const second = await api(consumer.url, 'GET', `/api/v1/shares/${shareId}/rows?limit=1000&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].rowKey).toBe('330212-01000');

    // Past the grant's expiry (this end's clock), the rows delivered are no longer to be used.
    const clock = consumer.app.get(ShareClock, { strict: false });
    clock.fixAt(new Date(Date.parse(YEAR_AHEAD) + 1000));
    try {
      const expired = await api(consumer.url, 'GET', `/api/v1/shares/${shareId}/rows`);
      expect(expired.status).toBe(403);
      expect(expired.body).toMatchObject({ rule: 'grant-not-in-force', message: expect.stringMatching(/expired/) });
    } finally {
      clock.fixAt(null);
    }
    expect((await api(consumer.url, 'GET', `/api/v1/shares/${shareId}/rows?limit=1`)).status).toBe(200);

    const scrape = await (await fetch(`${consumer.url}/metrics`, { headers: await authHeaders(consumer.url) })).text();
    expect(scrape).toMatch(/^tdx_share_delivery_rows_total\{provider="330212",node="330100"\} 3000$/m);
    expect(scrape).toMatch(/^tdx_share_deliveries_ended_total\{state="done",node="330100"\} 1$/m);

    // Once per delivery at each end, not per chunk: who, which grant, how many rows.
    await eventually(async () => {
      expect(await deliveryAudit('330100')).toEqual([
        expect.objectContaining({
          outcome: 'done',
          details: expect.objectContaining({ delivery: started.id, rows: 3000, provider: '330212', consumer: '330100' }),
        }),
      ]);
      expect(await deliveryAudit('330212')).toEqual([
        expect.objectContaining({ outcome: 'served', details: expect.objectContaining({ delivery: started.id, rows: 3000, consumer: '330100' }) }),
      ]);
    });
  }, 120_000);

  it('a later delivery fetches only the changes since the last one (updates, deletions, new rows) and ends equal again', async () => {
    const db = databases['330212'];
    await writeSourceRows(db, entryId, [...sourceRows('330212', 50, 0, 'Renamed'), ...sourceRows('330212', 30, 3000), ...sourceRows('330106', 10, 300)]);
    await db.query(
      `UPDATE dataset_row SET deleted = true, data = NULL, masked = NULL, masked_under = NULL, change_seq = nextval('dataset_change_seq')
       WHERE entry_id = $1 AND row_key IN (SELECT row_key FROM dataset_row WHERE entry_id = $1 AND region_code = '330212' ORDER BY row_key DESC OFFSET 30 LIMIT 20)`,
      [entryId],
    );
    const started = await deliver();
    expect(started.kind).toBe('incremental');
    const done = await finished(started.id);
    // 50 updated + 30 new + 20 deleted: nothing else crossed.
    expect(done).toMatchObject({ state: 'done', kind: 'incremental', rowsDone: 100, upserts: 80, deletes: 20 });
    const held = await returnedRows(databases['330100'], shareId);
    expect(held.size).toBe(3010);
    expect(held).toEqual(await expected());
    expect(held.get('330212-00007')?.data.company).toBe('Renamed 330212/7');

    // Nothing changed since: a delivery that brings nothing.
    const idle = await finished((await deliver()).id);
    expect(idle).toMatchObject({ state: 'done', kind: 'incremental', rowsDone: 0 });
  }, 120_000);

  it('a chunk that does not verify (its rows changed on the way) is refused, nothing of it written, and asked for again', async () => {
    await writeSourceRows(databases['330212'], entryId, sourceRows('330212', 10, 100, 'Checked'));
    // The first chunk's rows are changed on the way in: one byte of its text, its digest left as the provider signed it.
    const channel = consumer.app.get(Channel);
    const ask = channel.ask.bind(channel);
    let corrupted = 0;
    channel.ask = (async (to: string, kind: string, body: unknown, options?: { timeoutMs?: number }) => {
      const answer = await ask<{ text: string }>(to, kind, body, options);
      if (kind !== 'share.deliver' || corrupted > 0) return answer;
      corrupted++;
      const text = Buffer.from(answer.text, 'base64');
      text[text.indexOf('Checked')] = 'X'.charCodeAt(0);
      return { ...answer, text: text.toString('base64') };
    }) as Channel['ask'];
    try {
      const done = await finished((await deliver()).id);
      expect(corrupted).toBe(1);
      expect(done).toMatchObject({ state: 'done', kind: 'incremental', rowsDone: 10, upserts: 10, chunks: 1, attempts: 1 });
    } finally {
      channel.ask = ask;
    }
    const held = await returnedRows(databases['330100'], shareId);
    expect(held).toEqual(await expected());
    expect(held.get('330212-00100')?.data.company).toBe('Checked 330212/100');
  }, 120_000);

  it('the provider SIGKILLed mid-transfer: after its restart the delivery resumes from the last committed chunk, rows equal, none twice', async () => {
    // 4,000 rows more, and every live row of the grant changes: 7,010 rows, four chunks (one asked for ahead of the one being written).
    await touchEveryLiveRow('Moved', 4030);
    const writes = await holdWrites();
    const started = await deliver();
    // The first chunk has left the provider and waits to be written here.
    await writes.chunkWaiting();
    await provider.kill('SIGKILL');
    await writes.release();
    // That chunk commits (and the one asked ahead, if it left the provider before it died); the next ask finds nobody and is retried.
    await eventually(
      async () => {
        const view = (await api(consumer.url, 'GET', `/api/v1/shares/${shareId}/deliveries/${started.id}`)).body;
        expect(view.state).toBe('running');
        expect(view.chunks).toBeGreaterThanOrEqual(1);
        expect(view.chunks).toBeLessThan(4);
        expect(view.attempts).toBeGreaterThan(0);
      },
      60_000,
      200,
    );
    await provider.restart();
    const done = await finished(started.id, 120_000);
    // Each changed row exactly once: the committed chunk was not asked for again, none was skipped.
    expect(done).toMatchObject({ state: 'done', rowsDone: 7010, upserts: 7010, deletes: 0, chunks: 4 });
    expect(await returnedRows(databases['330100'], shareId)).toEqual(await expected());
  }, 240_000);

  it('the consumer SIGKILLed mid-transfer: after its restart the delivery resumes from its last committed chunk, rows equal, none twice', async () => {
    const asked = await api(ningbo.url, 'POST', '/api/v1/shares', {
      entryId,
      items: GRANTED,
      regions: ['330212'],
      purpose: 'inspections',
      expiresAt: YEAR_AHEAD,
    });
    expect(asked.status).toBe(201);
    const id = asked.body.id as string;
    await eventually(async () => expect((await api(ningbo.url, 'GET', `/api/v1/shares/${id}`)).body.state).toBe('granted'), 30_000);
    const writes = await holdWrites('330200');
    const started = await api(ningbo.url, 'POST', `/api/v1/shares/${id}/deliveries`);
    expect(started.status).toBe(202);
    // Its first chunk is being written (waiting for the lock) when the consumer dies: that transaction never commits.
    await writes.chunkWaiting();
    await ningbo.kill('SIGKILL');
    await writes.release();
    const [left] = await databases['330200'].query<{ state: string; chunks: number }>('SELECT state, chunks FROM share_delivery WHERE id = $1', [
      started.body.id,
    ]);
    expect(left).toEqual({ state: 'running', chunks: 0 });
    await ningbo.restart();
    let done: Record<string, unknown> = {};
    await eventually(
      async () => {
        done = (await api(ningbo.url, 'GET', `/api/v1/shares/${id}/deliveries/${started.body.id}`)).body;
        expect(done.state).toBe('done');
      },
      120_000,
      200,
    );
    expect(done).toMatchObject({ kind: 'full', rowsDone: 7010, upserts: 7010, deletes: 0, chunks: 4 });
    expect(await returnedRows(databases['330200'], id)).toEqual(await expected());

    // Had no delivery of this grant completed (one refused, say), the next is full and starts from
    // nothing: a row left behind, deleted at the provider meanwhile, does not survive it.
    await databases['330200'].query(`UPDATE share_delivery SET state = 'refused', rule = 'test' WHERE share_id = $1`, [id]);
    await databases['330200'].query(
      `INSERT INTO returned_row (request_id, row_key, region_code, data, source_seq) VALUES ($1, 'gone-at-provider', '330212', '{}', 1)`,
      [id],
    );
    const fresh = await api(ningbo.url, 'POST', `/api/v1/shares/${id}/deliveries`);
    expect(fresh.body.kind).toBe('full');
    await eventually(async () => {
      expect((await api(ningbo.url, 'GET', `/api/v1/shares/${id}/deliveries/${fresh.body.id}`)).body.state).toBe('done');
    }, 60_000);
    expect(await returnedRows(databases['330200'], id)).toEqual(await expected());
  }, 240_000);

  it('a revocation mid-delivery stops it with the rule; the provider refuses every later chunk; the rows delivered are removed', async () => {
    await touchEveryLiveRow('Again', 4030);
    const writes = await holdWrites();
    const started = await deliver();
    await writes.chunkWaiting();
    const revoked = await api(provider.url, 'POST', `/api/v1/shares/${shareId}/revoke`, { reason: 'the licence checks are over' });
    expect(revoked.status).toBe(200);
    await writes.release();
    const ended = await finished(started.id);
    expect(ended).toMatchObject({ state: 'refused', rule: 'grant-not-in-force' });
    expect(ended.lastError).toMatch(/revoked/);

    // The provider checks the grant on every chunk: asked directly, it refuses with the rule.
    const channel = consumer.app.get(Channel);
    const asking = channel.ask('330212', 'share.deliver', {
      id: shareId,
      deliveryId: started.id,
      kind: 'incremental',
      actor: 'user:test',
      after: 0,
      tombstonesAfter: 0,
      rowsSoFar: 0,
    });
    await expect(asking).rejects.toBeInstanceOf(DomainRefusal);
    await expect(asking).rejects.toMatchObject({ kind: 'forbidden', rule: 'grant-not-in-force' });

    await eventually(async () => {
      expect((await api(consumer.url, 'GET', `/api/v1/shares/${shareId}`)).body.state).toBe('revoked');
      expect((await returnedRows(databases['330100'], shareId)).size).toBe(0);
    }, 30_000);
    const rows = await api(consumer.url, 'GET', `/api/v1/shares/${shareId}/rows`);
    expect(rows.status).toBe(403);
    // Nothing more can be delivered: refused before anything is stored or sent.
    const again = await api(consumer.url, 'POST', `/api/v1/shares/${shareId}/deliveries`);
    expect(again.status).toBe(422);
    expect(again.body.rule).toBe('grant-not-in-force');
    expect(rows.body.rule).toBe('grant-not-in-force');
    const refusedAtProvider = (await deliveryAudit('330212')).filter((r) => r.outcome === 'refused');
    expect(refusedAtProvider.length).toBeGreaterThan(0);
    expect(refusedAtProvider[0].details.rule).toBe('grant-not-in-force');
  }, 120_000);
});
