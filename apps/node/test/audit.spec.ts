// The audit log on real PostgreSQL and NATS: what lands in it (operator actions, exchanges between
// nodes), the list and its refusals, the export, and tampering of every kind found and named.
import { AUDIT_GENESIS_HASH, AuditChainWalker, auditHash, AuditRecord } from '@tdx/contracts';
import type { INestApplication } from '@nestjs/common';
import { AnonymousRefusals } from '../src/audit/anonymous-refusals';
import {
  anonymous,
  api,
  assertEvery,
  authHeaders,
  createTestDatabase,
  deleteNamespaceStreams,
  eventually,
  NodeProcess,
  SHARED_NATS_URL,
  TestDatabase,
  testNamespace,
} from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { SourceRow, waitForJob, writeSourceRows } from './support/returns';

const namespace = testNamespace();
let provinceDb: TestDatabase;
let cityDb: TestDatabase;
let province: RunningNode & { app: INestApplication };
let city: RunningNode;

interface Verification {
  ok: boolean;
  records: number;
  head: { seq: number; hash: string };
  firstBad?: { seq: number; kind: string; reason: string };
}

async function records(node: RunningNode, query = ''): Promise<AuditRecord[]> {
  const response = await api<{ items: AuditRecord[]; nextCursor: string | null }>(node.url, 'GET', `/api/v1/audit?limit=500${query}`);
  expect(response.status).toBe(200);
  return response.body.items;
}

async function verify(node: RunningNode, query = ''): Promise<Verification> {
  const response = await api<Verification>(node.url, 'GET', `/api/v1/audit/verify${query}`);
  expect(response.status).toBe(200);
  return response.body;
}

async function exportText(query = '', node: RunningNode = province): Promise<{ text: string; head: string | null; type: string | null }> {
  const response = await fetch(`${node.url}/api/v1/audit/export${query}`, { headers: await authHeaders(node.url) });
  expect(response.status).toBe(200);
  return { text: await response.text(), head: response.headers.get('tdx-audit-head'), type: response.headers.get('content-type') };
}

/** Ends the node's current window of anonymous refusals now: the summary record it wrote, if any. */
function refusalSummary(node: { app: INestApplication }): Promise<AuditRecord | undefined> {
  return node.app.get(AnonymousRefusals).flush();
}

/** The province's count of refused anonymous requests, all routes and statuses together. */
async function anonymousRefusalsMetric(): Promise<number> {
  const response = await fetch(`${province.url}/metrics`, { headers: await authHeaders(province.url) });
  const text = await response.text();
  return [...text.matchAll(/^tdx_http_anonymous_refusals_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** Runs SQL as an attacker with database access would: with the append-only triggers switched off. */
async function tamper(db: TestDatabase, ...statements: string[]): Promise<void> {
  await db.query(`SET session_replication_role = replica`);
  try {
    for (const sql of statements) await db.query(sql);
  } finally {
    await db.query(`SET session_replication_role = origin`);
  }
}

/** Sends requests until the province's log holds at least `n` records. */
async function atLeastRecords(n: number): Promise<void> {
  while ((await verify(province)).head.seq < n) {
    expect((await api(province.url, 'POST', '/api/v1/institutions', sampleInstitution(`Bureau ${Math.random()}`))).status).toBe(201);
  }
}

beforeAll(async () => {
  [provinceDb, cityDb] = await Promise.all([createTestDatabase('audit_province'), createTestDatabase('audit_city')]);
  province = await startInProcessNode({ code: '330000', databaseUrl: provinceDb.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
  city = await startInProcessNode({ code: '330100', parentCode: '330000', databaseUrl: cityDb.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
});

afterAll(async () => {
  await city?.stop();
  await province?.stop();
  await Promise.all([provinceDb?.drop(), cityDb?.drop()]);
  await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
});

describe('what lands in the log', () => {
  it('records every state-changing request with actor, route, target and outcome, refusals included, and no body', async () => {
    const institution = await api(province.url, 'POST', '/api/v1/institutions', sampleInstitution('Provincial Bureau of Statistics'));
    expect(institution.status).toBe(201);
    const entry = await api(province.url, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id));
    expect(entry.status).toBe(201);
    expect((await api(province.url, 'PATCH', `/api/v1/catalog/entries/${entry.body.id}`, { summary: 'secret-looking text' })).status).toBe(200);
    expect((await api(province.url, 'POST', '/api/v1/catalog/entries', { ...sampleEntry(institution.body.id), stateSecret: true })).status).toBe(422);
    expect((await api(province.url, 'POST', '/api/v1/institutions', { kind: 'government' })).status).toBe(400);
    expect((await api(province.url, 'DELETE', '/api/v1/no-such-thing/1')).status).toBe(404);

    const mine = await records(province, '&actor=user:admin');
    expect(mine.map((r) => [r.action, r.target, r.outcome])).toEqual(
      expect.arrayContaining([
        ['POST /api/v1/institutions', institution.body.id, '201'],
        ['POST /api/v1/catalog/entries', entry.body.id, '201'],
        ['PATCH /api/v1/catalog/entries/:id', entry.body.id, '200'],
        ['POST /api/v1/catalog/entries', null, '422'],
        ['POST /api/v1/institutions', null, '400'],
      ]),
    );
    // Refused in front of the routes (the JSON parser) or by the guard, or no route at all: nobody signed in
    // as far as the node can tell, so these are counted and summarised, not chained one by one.
    const seqBefore = (await verify(province)).head.seq;
    expect((await api(province.url, 'POST', '/api/v1/institutions', '{"name": ')).status).toBe(400);
    expect((await anonymous(province.url, 'POST', '/api/v1/institutions', sampleInstitution())).status).toBe(401);
    const refused = mine.find((r) => r.outcome === '422');
    expect(refused?.details).toMatchObject({ method: 'POST', route: '/api/v1/catalog/entries', rule: 'state-secret', error: 'Unprocessable Entity' });
    expect(JSON.stringify(mine)).not.toContain('secret-looking text');
    expect(JSON.stringify(mine)).not.toContain('Provincial Bureau of Statistics');
    // Reads are not operator actions (the audit's own reads neither): none of them is recorded.
    expect(mine.filter((r) => r.details.method === 'GET')).toEqual([]);
    // Sign-in: the name tried, never the password.
    const logins = await records(province, '&action=auth.login');
    expect(logins[0]).toMatchObject({ actor: 'user:admin', outcome: '200', details: { username: 'admin' } });
    expect((await anonymous(province.url, 'POST', '/api/v1/auth/login', { username: 'admin', password: 'Wrong-Passw0rd-guess' })).status).toBe(401);
    // A password typed into the name field is not kept: only a name an account could have is.
    expect((await anonymous(province.url, 'POST', '/api/v1/auth/login', { username: 'Typed-Passw0rd!', password: 'x' })).status).toBe(401);
    const summary = await refusalSummary(province);
    expect(summary?.seq).toBe(seqBefore + 1);
    expect(summary?.details).toMatchObject({
      total: 5,
      kinds: expect.arrayContaining([
        { method: 'DELETE', route: '(no route)', status: 404, count: 1 },
        { method: 'POST', route: '(no route)', status: 400, count: 1 },
        { method: 'POST', route: '/api/v1/institutions', status: 401, count: 1 },
        { method: 'POST', route: '/api/v1/auth/login', status: 401, error: 'Unauthorized', count: 2 },
      ]),
      addresses: [{ ip: expect.any(String), count: 5 }],
      usernames: [{ username: 'admin', count: 1 }],
      otherUsernames: 0,
    });
    expect(JSON.stringify(await records(province))).not.toMatch(/Wrong-Passw0rd-guess|Typed-Passw0rd|Test-Passw0rd|Bearer|eyJ/);
  });

  it('counts refused anonymous requests instead of chaining each: 200 of them add one summary record, and the metric counts them all', async () => {
    await refusalSummary(province); // a window of their own
    const headBefore = (await verify(province)).head.seq;
    const metricBefore = await anonymousRefusalsMetric();
    const bad: (() => Promise<{ status: number }>)[] = [
      ...Array.from({ length: 50 }, () => () => anonymous(province.url, 'POST', '/api/v1/institutions', sampleInstitution())),
      ...Array.from({ length: 50 }, () => () => anonymous(province.url, 'GET', '/api/v1/catalog/entries')),
      ...Array.from({ length: 50 }, () => () => anonymous(province.url, 'POST', '/api/v1/nowhere', {})),
      // Below the sign-in rate limits (per name and per address): each one is a plain 401.
      ...Array.from(
        { length: 40 },
        (_, i) => () => anonymous(province.url, 'POST', '/api/v1/auth/login', { username: `guess${i % 10}`, password: 'Not-the-Passw0rd' }),
      ),
      ...Array.from({ length: 10 }, () => () => anonymous(province.url, 'POST', '/api/v1/institutions', '{"name": ')),
    ];
    const statuses: number[] = [];
    for (const send of bad) statuses.push((await send()).status);
    expect(statuses.filter((status) => status >= 400)).toHaveLength(200);

    // Nothing anonymous was chained meanwhile (refusals are counted once the answer has gone: wait for the count).
    await eventually(async () => expect((await anonymousRefusalsMetric()) - metricBefore).toBe(200));
    const meanwhile = (await records(province, `&actor=anonymous`)).filter((r) => r.seq > headBefore);
    expect(meanwhile).toEqual([]);

    const summary = await refusalSummary(province);
    expect(summary).toMatchObject({ actor: 'anonymous', action: 'http.anonymous-refusals', outcome: 'summary' });
    const details = summary?.details as { total: number; from: string; to: string; kinds: unknown[]; addresses: unknown[]; usernames: unknown[] };
    expect(details.total).toBe(200);
    expect(new Date(details.from).getTime()).toBeLessThanOrEqual(new Date(details.to).getTime());
    expect(details.kinds).toEqual(
      expect.arrayContaining([
        { method: 'POST', route: '/api/v1/institutions', status: 401, count: 50 },
        { method: 'GET', route: '/api/v1/catalog/entries', status: 401, count: 50 },
        { method: 'POST', route: '(no route)', status: 404, count: 50 },
        { method: 'POST', route: '/api/v1/auth/login', status: 401, error: 'Unauthorized', count: 40 },
        { method: 'POST', route: '(no route)', status: 400, count: 10 },
      ]),
    );
    expect(details.kinds).toHaveLength(5);
    expect(details.addresses).toEqual([{ ip: expect.any(String), count: 200 }]);
    expect(details.usernames).toHaveLength(10);
    expect(details.usernames).toContainEqual({ username: 'guess3', count: 4 });
    // One record for the lot, and the chain still verifies.
    expect((await verify(province)).head.seq).toBe(summary?.seq);
    expect((await verify(province)).ok).toBe(true);
    expect(await refusalSummary(province)).toBeUndefined(); // an empty window writes nothing
  });

  it('records exchanges between nodes at both ends: the join, and each replication batch with its counts', async () => {
    const institution = await api(city.url, 'POST', '/api/v1/institutions', sampleInstitution('Hangzhou Data Bureau'));
    expect(institution.status).toBe(201);
    const bulk = await api(city.url, 'POST', '/api/v1/catalog/entries/bulk', {
      entries: Array.from({ length: 30 }, (_, i) => sampleEntry(institution.body.id, { name: `Dataset ${i}`, regionScope: '330100' })),
    });
    expect(bulk.status).toBe(201);

    await eventually(async () => {
      const batches = await records(province, '&action=replication.batch');
      const applied = batches.reduce((sum, r) => sum + Number(r.details.applied), 0);
      expect(applied).toBeGreaterThanOrEqual(31); // the institution and the 30 entries
      assertEvery(batches, (r) => r.actor === 'node:330100' && r.target === '330000' && r.outcome === 'applied', 'batches applied from the city');
      // Both ends counted the same records: what the city's stream acknowledged is what the province took in.
      const sent = (await records(city, '&action=replication.sent')).reduce((sum, r) => sum + Number(r.details.records), 0);
      expect(sent).toBe(batches.reduce((sum, r) => sum + Number(r.details.records), 0));
    });
    const joins = await records(province, '&action=federation.join');
    expect(joins[0]).toMatchObject({ actor: 'node:330100', target: '330000', outcome: 'accepted', details: { publicKey: expect.any(String) } });

    const cityOwn = await records(city, '&action=replication.*');
    expect(cityOwn.length).toBeGreaterThan(0);
    assertEvery(cityOwn, (r) => r.action === 'replication.sent' && r.actor === 'node:330100' && r.target === '330000', "the city's records of what it sent");
    expect(await records(city, '&action=federation.join.answer')).toMatchObject([{ actor: 'node:330000', outcome: 'accepted' }]);
    expect((await verify(city)).ok).toBe(true);
  });

  it('keeps the chain linear under concurrent appends: dense numbers, every link intact', async () => {
    const before = (await verify(province)).head.seq;
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => api(province.url, 'POST', '/api/v1/institutions', sampleInstitution(`Concurrent Bureau ${i}`))),
    );
    assertEvery(responses, (r) => r.status === 201, 'registrations');
    const result = await verify(province);
    expect(result).toMatchObject({ ok: true });
    expect(result.head.seq).toBeGreaterThanOrEqual(before + 40);
    const seqs = (await provinceDb.query<{ seq: string }>('SELECT seq FROM audit_record ORDER BY seq')).map((r) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(result.records).toBe(seqs.length);
  });
});

describe('returns in the log, at both ends', () => {
  it('records the request and its decision, every chunk served and received with its rows, and a refusal', async () => {
    const institution = await api(province.url, 'POST', '/api/v1/institutions', sampleInstitution('Provincial Market Regulator'));
    const entry = (overrides: Record<string, unknown>) =>
      api(province.url, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id, { updateCycle: 'irregular', ...overrides }));
    const unconditional = (await entry({})).body.id as string;
    const conditional = (await entry({ name: 'Licences', shareType: 'conditional', shareCondition: 'for supervision only' })).body.id as string;
    const rows: SourceRow[] = Array.from({ length: 120 }, (_, i) => ({
      key: `k${i}`,
      region: i % 2 ? '330100' : '330200',
      data: { uscc: `U${i}`, legal_person_id: '330106199001011234' },
    }));
    await writeSourceRows(provinceDb, unconditional, rows);

    const granted = await api(city.url, 'POST', '/api/v1/returns/requests', { entryId: unconditional, holder: '330000', scope: 'self', purpose: 'audit test' });
    expect(granted.body).toMatchObject({ state: 'granted' });
    await waitForJob(city.url, granted.body.id);
    expect(await records(province, `&target=${granted.body.id}&action=return.request`)).toMatchObject([
      { actor: 'node:330100', outcome: 'granted', details: { entryId: unconditional, scope: 'self' } },
    ]);
    const served = await records(province, `&target=${granted.body.id}&action=return.chunk.served`);
    const received = await records(city, `&target=${granted.body.id}&action=return.chunk.received`);
    // Only the city's own rows (60 of 120) crossed, and both ends counted them.
    expect(served.reduce((n, r) => n + Number(r.details.rows), 0)).toBe(60);
    expect(received.reduce((n, r) => n + Number(r.details.rows), 0)).toBe(60);
    assertEvery(received, (r) => r.actor === 'node:330000' && r.outcome === 'applied', 'records of rows received from the province');
    expect(await records(city, `&action=${encodeURIComponent('POST /api/v1/returns/requests')}`)).toMatchObject([
      { actor: 'user:admin', outcome: '201', target: granted.body.id },
    ]);

    const pending = await api(city.url, 'POST', '/api/v1/returns/requests', { entryId: conditional, holder: '330000', scope: 'self', purpose: 'audit test' });
    expect(pending.body).toMatchObject({ state: 'pending' });
    expect((await api(province.url, 'POST', `/api/v1/returns/requests/${pending.body.id}/approve`, { note: 'fine' })).status).toBe(200);
    expect(await records(province, `&target=${pending.body.id}`)).toMatchObject([
      { action: 'return.request', outcome: 'pending' },
      { action: 'POST /api/v1/returns/requests/:id/approve', actor: 'user:admin', outcome: '200' },
    ]);
    await eventually(async () =>
      expect(await records(city, `&target=${pending.body.id}&action=return.decision`)).toMatchObject([{ actor: 'node:330000', outcome: 'granted' }]),
    );

    const unknown = await api(city.url, 'POST', '/api/v1/returns/requests', {
      entryId: '00000000-0000-4000-8000-000000000000',
      holder: '330000',
      scope: 'self',
      purpose: 'audit test',
    });
    expect(unknown.status).toBe(404);
    await eventually(async () => expect(await records(province, '&action=return.refused')).toMatchObject([{ actor: 'node:330100', outcome: '404' }]));
    expect((await verify(province)).ok).toBe(true);
    expect((await verify(city)).ok).toBe(true);
  });
});

describe('GET /api/v1/audit', () => {
  it('filters by time range, actor, action (exact or prefix), target and outcome, and pages by keyset', async () => {
    await atLeastRecords(12);
    const all = await records(province);
    const middle = all[5];
    assertEvery(await records(province, `&from=${encodeURIComponent(middle.at)}`), (r) => r.at >= middle.at, 'records from the middle one on');
    assertEvery(await records(province, `&to=${encodeURIComponent(middle.at)}`), (r) => r.at < middle.at, 'records before the middle one');
    const targeted = all.find((r) => r.seq > 5 && r.target !== null) as AuditRecord;
    expect((await records(province, `&target=${encodeURIComponent(targeted.target as string)}`)).map((r) => r.seq)).toContain(targeted.seq);
    assertEvery(
      await records(province, '&action=POST%20/api/v1/catalog*'),
      (r) => r.action.startsWith('POST /api/v1/catalog'),
      'records of catalog registrations',
    );
    assertEvery(await records(province, '&outcome=422'), (r) => r.outcome === '422', 'records of refusals (422)');
    expect(await records(province, '&actor=user:nobody')).toEqual([]);

    const pages: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: AuditRecord[]; nextCursor: string | null } } = await api(
        province.url,
        'GET',
        `/api/v1/audit?limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      );
      pages.push(...page.body.items.map((r) => r.seq));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual(all.map((r) => r.seq));
    const newest = await api(province.url, 'GET', '/api/v1/audit?order=desc&limit=3');
    expect(newest.body.items.map((r: AuditRecord) => r.seq)).toEqual(
      all
        .slice(-3)
        .reverse()
        .map((r) => r.seq),
    );
    const older = await api(province.url, 'GET', `/api/v1/audit?order=desc&limit=3&cursor=${newest.body.nextCursor}`);
    expect(older.body.items.map((r: AuditRecord) => r.seq)).toEqual(
      all
        .slice(-6, -3)
        .reverse()
        .map((r) => r.seq),
    );
  });

  it('answers bad query input with 400 naming the field, never 500', async () => {
    const bad: [string, string][] = [
      ['from=yesterday', 'from'],
      ['from=2026-11-27T10:00:00', 'from'],
      ['to=2026-02-30T00:00:00Z', 'to'],
      ['from=2026-11-28T00:00:00Z&to=2026-11-27T00:00:00Z', 'to'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=x', 'limit'],
      ['cursor=nonsense', 'cursor'],
      ['order=sideways', 'order'],
      ['actor=' + 'a'.repeat(201), 'actor'],
      ['actor=%00', 'actor'],
      ['unknown=1', 'unknown'],
    ];
    for (const [query, field] of bad) {
      const response = await api(province.url, 'GET', `/api/v1/audit?${query}`);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.body.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    for (const query of ['anchor=12', `anchor=x:${'a'.repeat(64)}`, 'batch=0', 'batch=100001']) {
      expect({ query, status: (await api(province.url, 'GET', `/api/v1/audit/verify?${query}`)).status }).toEqual({ query, status: 400 });
    }
    for (const query of ['from=soon', 'from=2026-11-28T00:00:00Z&to=2026-11-27T00:00:00Z', 'limit=5']) {
      expect({ query, status: (await api(province.url, 'GET', `/api/v1/audit/export?${query}`)).status }).toEqual({ query, status: 400 });
    }
  });
});

describe('the database keeps the log append-only', () => {
  it('refuses UPDATE, DELETE and TRUNCATE of records, any move of the head, and a record that does not continue the chain', async () => {
    await expect(provinceDb.query(`UPDATE audit_record SET outcome = '200' WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(provinceDb.query(`DELETE FROM audit_record WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(provinceDb.query(`TRUNCATE audit_record`)).rejects.toThrow(/append-only/);
    await expect(provinceDb.query(`UPDATE audit_head SET seq = 0`)).rejects.toThrow(/moves only/);
    await expect(
      provinceDb.query(`INSERT INTO audit_record VALUES (999999, now(), 'user:mallory', 'x', null, '200', '{}', repeat('0', 64), repeat('1', 64))`),
    ).rejects.toThrow(/does not continue the chain/);
    expect((await verify(province)).ok).toBe(true);
  });
});

describe('tampering is detected and the first bad record named', () => {
  const row = async (seq: number) => (await provinceDb.query(`SELECT * FROM audit_record WHERE seq = $1`, [seq]))[0];
  /** Writes a saved row back exactly as it was (its seq freed first). */
  async function putBack(original: Record<string, unknown>): Promise<void> {
    await tamper(provinceDb, `DELETE FROM audit_record WHERE seq = ${Number(original.seq)}`);
    await provinceDb.query(`SET session_replication_role = replica`);
    try {
      await provinceDb.query(`INSERT INTO audit_record SELECT * FROM jsonb_populate_record(null::audit_record, $1)`, [JSON.stringify(original)]);
    } finally {
      await provinceDb.query(`SET session_replication_role = origin`);
    }
  }

  beforeAll(() => atLeastRecords(20));
  afterEach(async () => expect((await verify(province)).ok).toBe(true)); // each test puts the log back as it was

  it('a changed field of a middle record, whichever field', async () => {
    const changes = [
      `actor = 'user:mallory'`,
      `action = 'GET /'`,
      `target = 'x'`,
      `target = CASE WHEN target IS NULL THEN '' ELSE NULL END`,
      `outcome = '200'`,
      `details = details || '{"ip": "10.0.0.1"}'`,
      `at = at + interval '1 second'`,
      `at = at + interval '1 microsecond'`,
      `prev_hash = repeat('a', 64)`,
      `hash = repeat('b', 64)`,
    ];
    const original = await row(10);
    for (const change of changes) {
      await tamper(provinceDb, `UPDATE audit_record SET ${change} WHERE seq = 10`);
      const result = await verify(province);
      expect({ change, ok: result.ok, seq: result.firstBad?.seq }).toEqual({ change, ok: false, seq: 10 });
      await putBack(original);
    }
  });

  it('a deleted middle record', async () => {
    const original = await row(7);
    await tamper(provinceDb, `DELETE FROM audit_record WHERE seq = 7`);
    expect((await verify(province)).firstBad).toMatchObject({ seq: 7, kind: 'missing', reason: expect.stringContaining('record 7 is missing') });
    await putBack(original);
  });

  it('a forged record inserted in the middle, the later ones renumbered and its hash computed by the forger', async () => {
    const all = await records(province);
    const prev = all.find((r) => r.seq === 8) as AuditRecord;
    const fields = {
      seq: 9,
      at: prev.at,
      actor: 'user:admin',
      action: 'POST /api/v1/institutions',
      target: 'forged',
      outcome: '201',
      details: {},
      prevHash: prev.hash,
    };
    const forged = { ...fields, hash: auditHash(fields) };
    // Renumbered through a high range: the CHECK (seq > 0) holds even with the triggers off.
    const shift = `UPDATE audit_record SET seq = seq + 1000000 WHERE seq >= 9; UPDATE audit_record SET seq = seq - 1000000 + 1 WHERE seq > 1000000`;
    await tamper(
      provinceDb,
      shift,
      `INSERT INTO audit_record VALUES (9, '${forged.at}', '${forged.actor}', '${forged.action}', 'forged', '201', '{}', '${forged.prevHash}', '${forged.hash}')`,
    );
    // The forged record is consistent in itself; the chain breaks right after it, where the true record 9 now sits as 10.
    expect((await verify(province)).firstBad).toMatchObject({ seq: 10, kind: 'changed' });
    await tamper(
      provinceDb,
      `DELETE FROM audit_record WHERE seq = 9`,
      `UPDATE audit_record SET seq = seq + 1000000 WHERE seq >= 10`,
      `UPDATE audit_record SET seq = seq - 1000000 - 1 WHERE seq > 1000000`,
    );
  });

  it('two records swapped', async () => {
    const swap = [
      `UPDATE audit_record SET seq = 1000000 WHERE seq = 5`,
      `UPDATE audit_record SET seq = 5 WHERE seq = 6`,
      `UPDATE audit_record SET seq = 6 WHERE seq = 1000000`,
    ];
    await tamper(provinceDb, ...swap);
    expect((await verify(province)).firstBad).toMatchObject({ seq: 5, kind: 'changed' });
    await tamper(provinceDb, ...swap);
  });

  it('a cut tail, as long as the head was left; with the head rewound too only an anchor kept elsewhere tells', async () => {
    const head = (await verify(province)).head;
    const tail = await provinceDb.query(`SELECT * FROM audit_record WHERE seq > $1 ORDER BY seq`, [head.seq - 2]);
    await tamper(provinceDb, `DELETE FROM audit_record WHERE seq > ${head.seq - 2}`);
    expect((await verify(province)).firstBad).toMatchObject({ seq: head.seq - 1, kind: 'head-mismatch' });

    const [kept] = await provinceDb.query<{ hash: string }>(`SELECT hash FROM audit_record WHERE seq = $1`, [head.seq - 2]);
    await tamper(provinceDb, `UPDATE audit_head SET seq = ${head.seq - 2}, hash = '${kept.hash}'`);
    expect((await verify(province)).ok).toBe(true); // what a chain alone cannot see
    const anchored = await verify(province, `?anchor=${head.seq}:${head.hash}`);
    expect(anchored.firstBad).toMatchObject({ seq: head.seq - 1, kind: 'anchor-mismatch' });

    for (const r of tail) await putBack(r);
    await tamper(provinceDb, `UPDATE audit_head SET seq = ${head.seq}, hash = '${head.hash}'`);
    expect((await verify(province, `?anchor=${head.seq}:${head.hash}`)).ok).toBe(true);
  });

  it('a forged record numbered 0 or below, written with the CHECK (seq > 0) dropped: the list shows it first, verification names it', async () => {
    const [constraint] = await provinceDb.query<{ name: string; def: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'audit_record'::regclass AND contype = 'c'`,
    );
    expect(constraint.def).toContain('seq > 0');
    await provinceDb.query(`ALTER TABLE audit_record DROP CONSTRAINT ${constraint.name}`);
    try {
      for (const seq of [0, -5]) {
        const fields = {
          seq,
          at: '2020-01-01T00:00:00.000Z',
          actor: 'user:admin',
          action: 'POST /api/v1/accounts',
          target: 'forged',
          outcome: '201',
          details: {},
          prevHash: AUDIT_GENESIS_HASH,
        };
        const forged = { ...fields, hash: auditHash(fields) };
        await tamper(
          provinceDb,
          `INSERT INTO audit_record VALUES (${seq}, '${forged.at}', '${forged.actor}', '${forged.action}', 'forged', '201', '{}', '${forged.prevHash}', '${forged.hash}')`,
        );
        expect((await records(province, '&order=asc'))[0]).toMatchObject({ seq, target: 'forged' });
        for (const batch of [1, 1000]) {
          const result = await verify(province, `?batch=${batch}`);
          expect(result).toMatchObject({ ok: false, firstBad: { seq, kind: 'malformed', reason: expect.stringContaining(`record ${seq}`) } });
        }
        await tamper(provinceDb, `DELETE FROM audit_record WHERE seq = ${seq}`);
      }
    } finally {
      await provinceDb.query(`ALTER TABLE audit_record ADD CONSTRAINT ${constraint.name} ${constraint.def}`);
    }
  });

  it('verifies in batches of any size with the same answer', async () => {
    const original = await row(13);
    await tamper(provinceDb, `UPDATE audit_record SET outcome = '500' WHERE seq = 13`);
    for (const batch of [1, 4, 1000]) expect((await verify(province, `?batch=${batch}`)).firstBad).toMatchObject({ seq: 13, kind: 'changed' });
    await putBack(original);
  });
});

describe('GET /api/v1/audit/export', () => {
  function walk(text: string, from: 'genesis' | 'anywhere') {
    const walker = new AuditChainWalker(from);
    text
      .split('\n')
      .filter(Boolean)
      .forEach((line, i) => walker.push(JSON.parse(line), `line ${i + 1}`));
    return walker.finish();
  }

  it('streams the whole log as NDJSON with its chain fields, verifiable offline, and a tampered export is caught', async () => {
    const { text, head, type } = await exportText();
    expect(type).toMatch(/^application\/x-ndjson/);
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    expect(lines[0]).toMatchObject({ seq: 1, prevHash: AUDIT_GENESIS_HASH });
    expect(head).toBe(`${lines[lines.length - 1].seq}:${lines[lines.length - 1].hash}`);
    expect(walk(text, 'genesis')).toMatchObject({ ok: true, records: lines.length });

    const victim = lines.find((r) => r.outcome === '201') as AuditRecord;
    const edited = text
      .split('\n')
      .map((l, i) => (i === victim.seq - 1 ? l.replace('"outcome":"201"', '"outcome":"200"') : l))
      .join('\n');
    expect(edited).not.toBe(text);
    expect(walk(edited, 'genesis').firstBad).toMatchObject({ seq: victim.seq, kind: 'changed' });
    const dropped = text
      .split('\n')
      .filter((_, i) => i !== 2)
      .join('\n');
    expect(walk(dropped, 'genesis').firstBad).toMatchObject({ seq: 3, kind: 'missing' });
  });

  it('exports a time range as a contiguous run of records that verifies on its own', async () => {
    const all = await records(province);
    const from = all[4].at;
    const to = all[all.length - 3].at;
    const { text } = await exportText(`?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    assertEvery(lines, (r) => r.at >= from && r.at < to, 'exported records within the period');
    expect(lines.map((r) => r.seq)).toEqual(Array.from({ length: lines.length }, (_, i) => lines[0].seq + i));
    expect(walk(text, 'anywhere')).toMatchObject({ ok: true, records: lines.length });
    expect((await exportText('?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z')).text).toBe('');
  });

  it('is itself recorded: the log leaving the node is an action', async () => {
    await exportText();
    await eventually(async () => expect(await records(province, `&action=${encodeURIComponent('GET /api/v1/audit/export')}`)).not.toEqual([]));
  });
});

describe('pruning the oldest records behind a kept anchor', () => {
  const pruneNamespace = testNamespace();
  let db: TestDatabase;
  let node: RunningNode;
  const prune = (body: unknown, at: RunningNode = node) => api(at.url, 'POST', '/api/v1/audit/prune', body);
  const exported = async (at: RunningNode = node) =>
    (await exportText('', at)).text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);

  beforeAll(async () => {
    db = await createTestDatabase('audit_prune');
    node = await startInProcessNode({
      code: '330000',
      databaseUrl: db.url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: pruneNamespace,
      env: { AUDIT_RETENTION_DAYS: '0' },
    });
    for (let i = 0; i < 10; i++) expect((await api(node.url, 'POST', '/api/v1/institutions', sampleInstitution(`Bureau ${i}`))).status).toBe(201);
  });

  afterAll(async () => {
    await node?.stop();
    await db?.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, pruneNamespace);
  });

  it("refuses records younger than AUDIT_RETENTION_DAYS, a hash that is not the log's, an export that does not reach back to the oldest record, and the head", async () => {
    const young = (await exported(province))[3];
    expect(await prune({ from: 1, through: young.seq, hash: young.hash }, province)).toMatchObject({ status: 422, body: { rule: 'audit-retention' } });
    const records = await exported();
    expect(await prune({ from: 1, through: 5, hash: 'a'.repeat(64) })).toMatchObject({ status: 422, body: { rule: 'audit-prune-exported-only' } });
    expect(await prune({ from: 2, through: 5, hash: records[4].hash })).toMatchObject({ status: 422, body: { rule: 'audit-prune-exported-only' } });
    const head = records[records.length - 1];
    expect(await prune({ from: 1, through: head.seq + 5, hash: head.hash })).toMatchObject({ status: 422, body: { rule: 'audit-prune-keeps-head' } });
    expect((await prune({ from: 1, through: 'five', hash: records[4].hash })).status).toBe(400);
    // Nothing pruned (the refused requests themselves were recorded, as every refused action is).
    expect(await db.query('SELECT min(seq)::int AS min FROM audit_record')).toEqual([{ min: 1 }]);
    expect(await db.query('SELECT count(*)::int AS n FROM audit_prune_anchor')).toEqual([{ n: 0 }]);
    // Outside audit_prune the database still refuses every delete, the session flag it uses included.
    await expect(db.query(`DELETE FROM audit_record WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(db.query(`BEGIN; SET LOCAL tdx.audit_pruning_through = '5'; DELETE FROM audit_record WHERE seq <= 5; COMMIT`)).rejects.toThrow(/append-only/);
    await db.query('ROLLBACK');
    await expect(db.query(`INSERT INTO audit_prune_anchor (seq, hash, at) VALUES (5, repeat('a', 64), now())`)).rejects.toThrow(/does not name a record/);
  });

  it('prunes through the last record of an export: the export verifies on its own, the rest from the anchor, and tampering is still found', async () => {
    const all = await exported();
    const archive = all.slice(0, 6);
    const walker = new AuditChainWalker('genesis');
    archive.forEach((record) => walker.push(record));
    expect(walker.finish()).toMatchObject({ ok: true, records: 6 });
    const last = archive[5];

    const pruned = await prune({ from: 1, through: last.seq, hash: last.hash });
    expect(pruned).toMatchObject({ status: 200, body: { pruned: 6, anchor: { seq: last.seq, hash: last.hash }, firstRemaining: last.seq + 1 } });
    expect((await db.query('SELECT min(seq)::int AS min FROM audit_record'))[0].min).toBe(last.seq + 1);
    const after = await verify(node);
    expect(after).toMatchObject({ ok: true });
    expect(after.records).toBe(after.head.seq - last.seq);
    // The prune is itself in the log, in the same transaction, with who did it and what was pruned.
    expect(await records(node, '&action=audit.prune')).toMatchObject([
      { actor: 'user:admin', target: String(last.seq), outcome: 'pruned', details: { from: 1, through: last.seq, hash: last.hash, records: 6 } },
    ]);
    // Pruning again behind the anchor: nothing there.
    expect(await prune({ from: 1, through: 3, hash: all[2].hash })).toMatchObject({ status: 422, body: { rule: 'audit-prune-exported-only' } });

    const at = async (seq: number) => (await db.query(`SELECT actor FROM audit_record WHERE seq = $1`, [seq]))[0].actor as string;
    const second = last.seq + 2;
    const actor = await at(second);
    await tamper(db, `UPDATE audit_record SET actor = 'user:mallory' WHERE seq = ${second}`);
    expect((await verify(node)).firstBad).toMatchObject({ seq: second, kind: 'changed' });
    await tamper(db, `UPDATE audit_record SET actor = '${actor}' WHERE seq = ${second}`);

    // The first remaining record removed: the log no longer follows its anchor.
    const [first] = await db.query(`SELECT * FROM audit_record WHERE seq = $1`, [last.seq + 1]);
    await tamper(db, `DELETE FROM audit_record WHERE seq = ${last.seq + 1}`);
    expect((await verify(node)).firstBad).toMatchObject({ seq: last.seq + 1, kind: 'missing' });
    await tamper(db, `INSERT INTO audit_record SELECT * FROM jsonb_populate_record(null::audit_record, '${JSON.stringify(first).replace(/'/g, "''")}')`);

    // The anchor rewritten (to hide a replaced start): the first record no longer points at it.
    await tamper(db, `UPDATE audit_prune_anchor SET hash = repeat('b', 64) WHERE seq = ${last.seq}`);
    expect((await verify(node)).firstBad).toMatchObject({ seq: last.seq + 1, kind: 'broken-link' });
    await tamper(db, `UPDATE audit_prune_anchor SET hash = '${last.hash}' WHERE seq = ${last.seq}`);
    expect((await verify(node)).ok).toBe(true);
  });
});

describe('a node killed with SIGKILL', () => {
  it('loses no record of an action it answered: the record is written before the answer', async () => {
    const db = await createTestDatabase('audit_kill');
    const node = await NodeProcess.start({ code: '330000', databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: testNamespace() });
    try {
      // A stream of registrations, killed in the middle of it.
      const answered: string[] = [];
      const sending = (async () => {
        for (let i = 0; i < 1000; i++) {
          const created = await api(node.url, 'POST', '/api/v1/institutions', sampleInstitution(`Killed Bureau ${i}`)).catch(() => undefined);
          if (!created) return;
          if (created.status === 201) answered.push(created.body.id);
        }
      })();
      await eventually(() => expect(answered.length).toBeGreaterThan(20), 30_000, 20);
      await node.kill('SIGKILL');
      await sending;
      await node.restart();
      const result = await verify(node);
      expect(result.ok).toBe(true);
      const targets = new Set(
        (await db.query<{ target: string }>(`SELECT target FROM audit_record WHERE action = 'POST /api/v1/institutions'`)).map((r) => r.target),
      );
      expect(answered.filter((id) => !targets.has(id))).toEqual([]);
      // An HTTP action's record is written in its own transaction right after the action's, so at most the action
      // committed at the instant of the kill can lack its record, and its client got no answer.
      const institutions = (await db.query<{ id: string }>('SELECT id FROM institution')).map((r) => r.id);
      expect(institutions.filter((id) => !targets.has(id)).length).toBeLessThanOrEqual(1);
    } finally {
      await node.stop();
      await db.drop();
    }
  });
});
