import { api, authHeaders, createTestDatabase, deleteNamespaceStreams, eventually, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';
import { returnedRows, SourceRow, sourceRowsIn, waitForJob, writeSourceRows } from './support/returns';
import { awaitTrustLists } from './support/replication';
import { maskPlan } from '../src/datasets/masking';
import { oracleMaskRow } from './support/masking-oracle';

const ITEMS = [
  { name: 'uscc', type: 'string', sensitive: false },
  { name: 'company', type: 'string', sensitive: false },
  { name: 'legal_person', type: 'string', sensitive: true },
  { name: 'id_card', type: 'string', sensitive: true },
  { name: 'phone', type: 'string', sensitive: true },
  { name: 'capital', type: 'integer', sensitive: false },
];

// Rows spread over Hangzhou (the city itself and three districts), Ningbo (two districts) and Wenzhou.
const REGIONS: Record<string, number> = { 330100: 5, 330106: 40, 330108: 25, 330110: 10, 330203: 15, 330212: 20, 330302: 10 };

function sourceRows(): SourceRow[] {
  return Object.entries(REGIONS).flatMap(([region, count]) =>
    Array.from({ length: count }, (_, i) => ({
      key: `${region}-${String(i).padStart(4, '0')}`,
      region,
      data: {
        uscc: `91${region}MA${String(i).padStart(8, '0')}`,
        company: `Company ${region}/${i}`,
        legal_person: i % 2 ? '张三' : '欧阳小明',
        id_card: `${region}19900101${String(1000 + i).slice(-4)}`,
        phone: `138${String(10_000_000 + i).slice(-8)}`,
        capital: 1000 * i,
      },
    })),
  );
}

/**
 * Province 330000 holds a data entry; Hangzhou 330100 with Xihu 330106 below it, and Ningbo
 * 330200 with Yinzhou 330212 below it, ask for it to be returned. Every node has its own database;
 * all share the NATS server under this file's namespace.
 */
describe('return of data downward (Article 9)', () => {
  const namespace = testNamespace();
  const databases: Record<string, TestDatabase> = {};
  const nodes: Record<string, RunningNode> = {};
  let entryId: string;
  let conditionalId: string;
  let noneId: string;
  let appId: string;
  const plan = maskPlan('L2', ITEMS);

  async function start(code: string, parentCode?: string): Promise<void> {
    databases[code] = await createTestDatabase(`ret_${code}`);
    nodes[code] = await startInProcessNode({ code, parentCode, databaseUrl: databases[code].url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
  }

  async function request(code: string, body: Record<string, unknown>) {
    return api(nodes[code].url, 'POST', '/api/v1/returns/requests', { holder: '330000', purpose: 'supervision of the district', ...body });
  }

  /** The receiver holds exactly the source rows of `where` (an SQL condition at the province), masked. */
  async function expectExactly(code: string, requestId: string, where: string): Promise<number> {
    const expected = await sourceRowsIn(databases['330000'], entryId, where);
    const held = await returnedRows(databases[code], requestId);
    expect([...held.keys()]).toEqual([...expected.keys()]);
    for (const [key, row] of expected) expect(held.get(key)).toEqual({ region: row.region, data: oracleMaskRow(row.data, plan) });
    return held.size;
  }

  /** Upserts rows at the province through its CSV upload API, as an operator's load would. */
  async function uploadToProvince(rows: SourceRow[]): Promise<void> {
    const columns = ITEMS.map((item) => item.name);
    const csv = [
      ['row_key', 'region_code', ...columns].join(','),
      ...rows.map((r) => [r.key, r.region, ...columns.map((c) => String(r.data[c]))].join(',')),
    ].join('\n');
    const uploaded = await fetch(`${nodes['330000'].url}/api/v1/datasets/${entryId}/rows`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', ...(await authHeaders(nodes['330000'].url)) },
      body: csv,
    });
    expect(uploaded.status).toBe(200);
    // The load keeps each row's masked copy, which chunks then serve (migration MaskedAtRest).
    const copies = await databases['330000'].query<{ data: Record<string, unknown>; masked: unknown }>(
      'SELECT data, masked FROM dataset_row WHERE entry_id = $1 AND row_key = ANY($2)',
      [entryId, rows.map((r) => r.key)],
    );
    expect(copies).toHaveLength(rows.length);
    for (const copy of copies) expect(copy.masked).toEqual(oracleMaskRow(copy.data, plan));
  }

  beforeAll(async () => {
    await start('330000');
    await start('330100', '330000');
    await start('330200', '330000');
    await start('330106', '330100');
    await start('330212', '330200');
    const province = nodes['330000'].url;
    const institution = await api(province, 'POST', '/api/v1/institutions', sampleInstitution('Provincial Market Regulator'));
    const entry = (overrides: Record<string, unknown>) =>
      api(province, 'POST', '/api/v1/catalog/entries', {
        type: 'data',
        name: 'Enterprise register',
        summary: 'Enterprises of the province',
        providerId: institution.body.id,
        category: 'market-regulation',
        grade: 'L2',
        shareType: 'unconditional',
        openType: 'restricted',
        updateCycle: 'irregular',
        dataItems: ITEMS,
        ...overrides,
      });
    entryId = (await entry({})).body.id;
    conditionalId = (await entry({ name: 'Licences', shareType: 'conditional', shareCondition: 'for supervision only' })).body.id;
    noneId = (await entry({ name: 'Inspections', shareType: 'none', legalBasis: 'Regulation X, Article 7' })).body.id;
    appId = (await entry({ type: 'application', name: 'Portal', dataItems: undefined, grade: 'L1', openType: 'unconditional' })).body.id;
    await writeSourceRows(databases['330000'], entryId, sourceRows());
    await writeSourceRows(databases['330000'], conditionalId, sourceRows());
    // Every node below has joined (its key is known at the province).
    await eventually(async () => {
      const known = await databases['330000'].query<{ code: string }>('SELECT code FROM known_node ORDER BY code');
      expect(known.map((k) => k.code)).toEqual(['330100', '330106', '330200', '330212']);
    });
    await awaitTrustLists(
      Object.values(nodes).map((n) => n.url),
      ['330000', '330100', '330106', '330200', '330212'],
    );
  });

  afterAll(async () => {
    await Promise.all(Object.values(nodes).map((n) => n.stop()));
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    await Promise.all(Object.values(databases).map((d) => d.drop()));
  });

  it("returns exactly a county's rows, masked, for an unconditional entry", async () => {
    const created = await request('330106', { entryId });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ entryId, holder: '330000', requester: '330106', scope: 'self', state: 'granted', reason: null });
    expect(created.body.history.map((h: { state: string }) => h.state)).toEqual(['pending', 'granted']);
    const jobs = await waitForJob(nodes['330106'].url, created.body.id);
    expect(jobs[0]).toMatchObject({ kind: 'full', state: 'done', rowsDone: 40, rowsTotal: 40, etaSeconds: 0, lastError: null });
    expect(await expectExactly('330106', created.body.id, `region_code LIKE '330106%'`)).toBe(40);

    // Masked by the L2 rules; the non-sensitive items unchanged.
    const page = await api(nodes['330106'].url, 'GET', `/api/v1/returns/requests/${created.body.id}/rows?limit=2&columns=uscc,id_card,phone,legal_person`);
    expect(page.status).toBe(200);
    expect(page.body.items[0]).toEqual({
      rowKey: '330106-0000',
      regionCode: '330106',
      sourceSeq: expect.any(Number),
      data: { uscc: '91330106MA00000000', id_card: '330106********1000', phone: '138****0000', legal_person: '欧***' },
    });
    const rest = await api(nodes['330106'].url, 'GET', `/api/v1/returns/requests/${created.body.id}/rows?limit=100&cursor=${page.body.nextCursor}`);
    expect(rest.body.items).toHaveLength(38);
    expect(rest.body.nextCursor).toBeNull();

    // Both ends see the request; the holder's history records what was sent.
    const atHolder = await api(nodes['330000'].url, 'GET', `/api/v1/returns/requests/${created.body.id}`);
    expect(atHolder.body).toMatchObject({ direction: 'incoming', state: 'granted', requester: '330106' });
    expect(atHolder.body.history.at(-1)).toMatchObject({ state: 'transfer', by: '330000', note: expect.stringContaining('sent 40 rows') });
    const incoming = await api(nodes['330000'].url, 'GET', '/api/v1/returns/requests?direction=incoming&state=granted');
    expect(incoming.body.items.map((r: { id: string }) => r.id)).toContain(created.body.id);
  });

  it("returns a city's whole subtree for scope subtree, and only the city's own rows for scope self", async () => {
    const subtree = await request('330100', { entryId, scope: 'subtree' });
    expect(subtree.status).toBe(201);
    await waitForJob(nodes['330100'].url, subtree.body.id);
    expect(await expectExactly('330100', subtree.body.id, `region_code LIKE '3301%'`)).toBe(80);
    const self = await request('330100', { entryId, scope: 'self' });
    await waitForJob(nodes['330100'].url, self.body.id);
    expect(await expectExactly('330100', self.body.id, `region_code = '330100'`)).toBe(5);
    const region = await api(nodes['330100'].url, 'GET', `/api/v1/returns/requests/${subtree.body.id}/rows?region=330108&limit=500`);
    expect(region.body.items).toHaveLength(25);
  });

  it("gives a county of another city none of Hangzhou's rows", async () => {
    const created = await request('330212', { entryId });
    await waitForJob(nodes['330212'].url, created.body.id);
    expect(await expectExactly('330212', created.body.id, `region_code = '330212'`)).toBe(20);
    const foreign = await databases['330212'].query(`SELECT count(*)::int AS n FROM returned_row WHERE region_code NOT LIKE '330212%'`);
    expect(foreign[0].n).toBe(0);
  });

  it('waits for an operator on a conditional entry: approve, and reject with a reason shown at both ends', async () => {
    const county = nodes['330106'].url;
    const province = nodes['330000'].url;
    const created = await request('330106', { entryId: conditionalId });
    expect(created.body).toMatchObject({ state: 'pending' });
    const id = created.body.id;
    expect((await api(province, 'GET', `/api/v1/returns/requests?direction=incoming&state=pending`)).body.items.map((r: { id: string }) => r.id)).toEqual([id]);
    expect((await api(county, 'POST', `/api/v1/returns/requests/${id}/approve`, {})).status).toBe(422);
    const approved = await api(province, 'POST', `/api/v1/returns/requests/${id}/approve`, { note: 'condition met' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'granted' });
    expect((await api(province, 'POST', `/api/v1/returns/requests/${id}/approve`, {})).status).toBe(422);
    await eventually(async () => expect((await api(county, 'GET', `/api/v1/returns/requests/${id}`)).body.state).toBe('granted'));
    await waitForJob(county, id);
    expect((await returnedRows(databases['330106'], id)).size).toBe(40);

    const second = await request('330106', { entryId: conditionalId });
    expect((await api(province, 'POST', `/api/v1/returns/requests/${second.body.id}/reject`, {})).status).toBe(400);
    expect((await api(province, 'POST', `/api/v1/returns/requests/${second.body.id}/reject`, { reason: '  ' })).status).toBe(400);
    const rejected = await api(province, 'POST', `/api/v1/returns/requests/${second.body.id}/reject`, { reason: 'purpose not covered by the condition' });
    expect(rejected.body).toMatchObject({ state: 'rejected', reason: 'purpose not covered by the condition' });
    const atCounty = await eventually(async () => {
      const r = await api(county, 'GET', `/api/v1/returns/requests/${second.body.id}`);
      expect(r.body).toMatchObject({ state: 'rejected', reason: 'purpose not covered by the condition', direction: 'outgoing' });
      return r.body;
    });
    expect(atCounty.history.map((h: { state: string; by: string }) => `${h.state} ${h.by}`)).toEqual(['pending 330106', 'rejected 330000']);
    expect((await api(county, 'GET', `/api/v1/returns/jobs?requestId=${second.body.id}`)).body.items).toEqual([]);
    expect((await api(county, 'POST', `/api/v1/returns/requests/${second.body.id}/sync`)).status).toBe(422);
  });

  it('refuses an entry that is not shared, with its legal basis', async () => {
    const created = await request('330106', { entryId: noneId });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'refused', reason: 'Regulation X, Article 7' });
    const atHolder = await api(nodes['330000'].url, 'GET', `/api/v1/returns/requests/${created.body.id}`);
    expect(atHolder.body).toMatchObject({ state: 'refused', reason: 'Regulation X, Article 7' });
  });

  it('answers bad requests clearly and records nothing', async () => {
    const before = await databases['330106'].query('SELECT count(*)::int AS n FROM return_request');
    expect((await request('330106', { entryId, holder: '330200' })).body).toMatchObject({ statusCode: 422, rule: 'holder-not-ancestor' });
    expect((await request('330106', { entryId, scope: 'subtree' })).body).toMatchObject({ statusCode: 422, rule: 'subtree-only-from-city' });
    expect((await request('330106', { entryId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
    expect((await request('330106', { entryId: appId })).body).toMatchObject({ statusCode: 422, rule: 'not-a-data-resource' });
    expect((await request('330106', { entryId: 'nope', purpose: '' })).status).toBe(400);
    expect((await request('330106', { entryId, scope: 'everything' })).status).toBe(400);
    expect(await databases['330106'].query('SELECT count(*)::int AS n FROM return_request')).toEqual(before);
    expect((await api(nodes['330106'].url, 'GET', '/api/v1/returns/requests/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api(nodes['330106'].url, 'GET', '/api/v1/returns/jobs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('sends exactly the changes on an incremental re-sync, deletions included', async () => {
    const county = nodes['330106'].url;
    const listed = await api(county, 'GET', `/api/v1/returns/requests?direction=outgoing&state=granted`);
    const id = listed.body.items.find((r: { entryId: string }) => r.entryId === entryId).id;
    const rows = sourceRows();
    const changed = rows
      .filter((r) => r.region === '330106')
      .slice(0, 5)
      .map((r) => ({ ...r, data: { ...r.data, capital: 7 } }));
    const otherCity = rows
      .filter((r) => r.region === '330203')
      .slice(0, 3)
      .map((r) => ({ ...r, data: { ...r.data, capital: 8 } }));
    const added: SourceRow[] = [{ key: '330106-9999', region: '330106', data: { ...rows[10].data, company: 'New Co' } }];
    // Through the holder's own upload API: CSV upsert by row key, and deletion as tombstones.
    await uploadToProvince([...changed, ...otherCity, ...added]);
    const deleted = await api(nodes['330000'].url, 'POST', `/api/v1/datasets/${entryId}/rows/delete`, {
      rowKeys: ['330106-0010', '330106-0011', '330108-0001'],
    });
    expect(deleted.status).toBe(200);

    const sync = await api(county, 'POST', `/api/v1/returns/requests/${id}/sync`);
    expect(sync.status).toBe(201);
    expect(sync.body.kind).toBe('incremental');
    const jobs = await waitForJob(county, id, 2);
    expect(jobs[0]).toMatchObject({ id: sync.body.id, kind: 'incremental', state: 'done', rowsDone: 8, upserts: 6, deletes: 2 });
    expect(await expectExactly('330106', id, `region_code LIKE '330106%'`)).toBe(39);

    // Nothing changed since: the next sync transfers nothing.
    const again = await api(county, 'POST', `/api/v1/returns/requests/${id}/sync`);
    await eventually(async () =>
      expect((await api(county, 'GET', `/api/v1/returns/jobs/${again.body.id}`)).body).toMatchObject({ state: 'done', rowsDone: 0 }),
    );
  });

  it('withdraws a row that moved out of a jurisdiction, and sends it where it moved', async () => {
    const grantedAt = async (code: string, scope: string) =>
      (await api(nodes[code].url, 'GET', `/api/v1/returns/requests?direction=outgoing&state=granted`)).body.items.find(
        (r: { entryId: string; scope: string }) => r.entryId === entryId && r.scope === scope,
      ).id as string;
    const [county, city] = [await grantedAt('330106', 'self'), await grantedAt('330100', 'subtree')];
    // Xihu's rows 0001 (to Gongshu, still in Hangzhou) and 0002 (to Yinzhou in Ningbo), through the upload API.
    const moved = sourceRows()
      .filter((r) => r.key === '330106-0001' || r.key === '330106-0002')
      .map((r) => ({ ...r, region: r.key.endsWith('1') ? '330108' : '330212' }));
    await uploadToProvince(moved);

    const countySync = await api(nodes['330106'].url, 'POST', `/api/v1/returns/requests/${county}/sync`);
    expect((await waitForJob(nodes['330106'].url, county, 3))[0]).toMatchObject({ id: countySync.body.id, state: 'done', deletes: 2, upserts: 0 });
    expect(await expectExactly('330106', county, `region_code LIKE '330106%'`)).toBe(37);

    const citySync = await api(nodes['330100'].url, 'POST', `/api/v1/returns/requests/${city}/sync`);
    // The city has not synced since its full transfer: it also gets the changes of the test before
    // (0000, 0003, 0004 changed, 9999 added; 0010, 0011 and 330108-0001 deleted), 0001 in its new
    // region, and 0002 as a deletion.
    expect((await waitForJob(nodes['330100'].url, city, 2))[0]).toMatchObject({ id: citySync.body.id, state: 'done', upserts: 5, deletes: 4 });
    expect(await expectExactly('330100', city, `region_code LIKE '3301%'`)).toBe(77);
  });

  it("re-syncs on its own by the entry's update cycle (realtime: every few seconds)", async () => {
    const province = nodes['330000'].url;
    const providerId = (await api(province, 'GET', `/api/v1/catalog/entries/${entryId}`)).body.providerId;
    const realtime = await api(province, 'POST', '/api/v1/catalog/entries', {
      type: 'data',
      name: 'Live register',
      summary: 'changes all the time',
      providerId,
      category: 'market-regulation',
      grade: 'L2',
      shareType: 'unconditional',
      openType: 'restricted',
      updateCycle: 'realtime',
      dataItems: ITEMS,
    });
    await writeSourceRows(
      databases['330000'],
      realtime.body.id,
      sourceRows()
        .filter((r) => r.region === '330106')
        .slice(0, 3),
    );
    const created = await request('330106', { entryId: realtime.body.id });
    await waitForJob(nodes['330106'].url, created.body.id);
    await writeSourceRows(databases['330000'], realtime.body.id, [{ key: 'live-1', region: '330106', data: { company: 'Arrived by itself' } }]);
    await eventually(
      async () => {
        const rows = await returnedRows(databases['330106'], created.body.id);
        expect(rows.get('live-1')).toEqual({ region: '330106', data: { company: 'Arrived by itself' } });
        expect(rows.size).toBe(4);
      },
      20_000,
      200,
    );
    const jobs = (await api(nodes['330106'].url, 'GET', `/api/v1/returns/jobs?requestId=${created.body.id}`)).body.items;
    expect(jobs.some((j: { kind: string; rowsDone: number }) => j.kind === 'incremental' && j.rowsDone === 1)).toBe(true);
  });
});
