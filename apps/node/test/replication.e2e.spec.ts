import { api, createTestDatabase, deleteNamespaceStreams, eventually, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { childStatus, digestFor, digests, OriginDigestBody } from './support/replication';

/**
 * Three tiers on the real PostgreSQL and NATS: province 330000, Hangzhou 330100, and two of its
 * districts, Xihu 330106 and Binjiang 330108, each node with its own database, all on the shared
 * server under a namespace of this file's own.
 */
describe('upward replication province <- city <- counties', () => {
  const namespace = testNamespace();
  const databases: TestDatabase[] = [];
  const nodes: RunningNode[] = [];
  let province: RunningNode;
  let city: RunningNode;
  let xihu: RunningNode;
  let binjiang: RunningNode;
  /** Records each county has originated so far (institutions, entry versions), to check the link counters exactly. */
  const originated = { '330106': 0, '330108': 0, '330100': 0 };

  // Shared between the ordered cases below.
  let institutionId: string;
  const entryIds: string[] = [];
  let cityEntryId: string;

  async function start(code: string, parentCode?: string): Promise<RunningNode> {
    const db = await createTestDatabase(`e2e_${code}`);
    databases.push(db);
    const node = await startInProcessNode({ code, parentCode, databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
    nodes.push(node);
    return node;
  }

  async function get(node: RunningNode, id: string) {
    return api(node.url, 'GET', `/api/v1/catalog/entries/${id}`);
  }

  /** Waits until every tier in `tiers` returns exactly the origin's JSON for the entry. */
  async function expectReplicated(id: string, originNode: RunningNode, tiers: RunningNode[]): Promise<Record<string, unknown>> {
    const atOrigin = await get(originNode, id);
    expect(atOrigin.status).toBe(200);
    for (const tier of tiers) {
      await eventually(async () => {
        const copy = await get(tier, id);
        expect(copy.status).toBe(200);
        expect(copy.body).toEqual(atOrigin.body);
      }, 20_000);
    }
    return atOrigin.body;
  }

  beforeAll(async () => {
    province = await start('330000');
    city = await start('330100', '330000');
    xihu = await start('330106', '330100');
    binjiang = await start('330108', '330100');
  });

  afterAll(async () => {
    for (const node of [...nodes].reverse()) await node.stop().catch(() => undefined);
    for (const db of databases) await db.drop().catch(() => undefined);
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  it('joins each node to its parent, which lists its children with their link state', async () => {
    await eventually(async () => {
      const atCity = await api(city.url, 'GET', '/api/v1/node');
      expect(atCity.status).toBe(200);
      expect(atCity.body).toMatchObject({ code: '330100', level: 'city', parent: { code: '330000' } });
      expect(atCity.body.parent.link).toMatchObject({ joined: true, outboxBacklog: expect.any(Number) });
      expect(atCity.body.children.map((c: { code: string }) => c.code)).toEqual(['330106', '330108']);
      for (const child of atCity.body.children) {
        expect(child).toMatchObject({ level: 'county', applied: expect.any(Number), rejected: 0, pending: expect.any(Number) });
      }
    });
    const atProvince = await api(province.url, 'GET', '/api/v1/node');
    expect(atProvince.body).toMatchObject({ code: '330000', level: 'province', parent: null });
    // Grandchildren are known at the province (their joins were forwarded) but are not its direct links.
    expect(atProvince.body.children.map((c: { code: string }) => c.code)).toEqual(['330100']);
    const atCounty = await api(xihu.url, 'GET', '/api/v1/node');
    expect(atCounty.body).toMatchObject({ code: '330106', level: 'county', children: [] });
    await eventually(async () => {
      expect((await api(xihu.url, 'GET', '/api/v1/node')).body.parent.link.joined).toBe(true);
    });
  });

  it('carries institutions and entries registered at a county to the city and the province, origin preserved', async () => {
    const institution = await api(xihu.url, 'POST', '/api/v1/institutions', sampleInstitution('Xihu Water Supply'));
    expect(institution.status).toBe(201);
    institutionId = institution.body.id;
    originated['330106']++;
    const kinds = [
      sampleEntry(institutionId, { name: 'Water meters' }),
      sampleEntry(institutionId, { name: 'Billing app', type: 'application', dataItems: undefined }),
      sampleEntry(institutionId, { name: 'Outage notices', grade: 'L2', openType: 'restricted', shareType: 'conditional', shareCondition: 'for utilities' }),
    ];
    for (const body of kinds) {
      const created = await api(xihu.url, 'POST', '/api/v1/catalog/entries', body);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ origin: '330106', version: 1, status: 'active' });
      entryIds.push(created.body.id);
      originated['330106']++;
    }
    for (const id of entryIds) {
      const replica = await expectReplicated(id, xihu, [city, province]);
      expect(replica).toMatchObject({ origin: '330106', version: 1 });
    }
    for (const tier of [city, province]) {
      const listed = await api(tier.url, 'GET', '/api/v1/institutions?origin=330106');
      expect(listed.body.items).toEqual([institution.body]);
    }
  });

  it('replicates new versions and retirement as tombstones with the same version and status at every tier', async () => {
    const [meters, app] = entryIds;
    const first = await api(xihu.url, 'PATCH', `/api/v1/catalog/entries/${meters}`, { summary: 'Smart water meters, hourly' });
    expect(first.body.version).toBe(2);
    const second = await api(xihu.url, 'PATCH', `/api/v1/catalog/entries/${meters}`, { updateCycle: 'realtime' });
    expect(second.body).toMatchObject({ version: 3, summary: 'Smart water meters, hourly', updateCycle: 'realtime' });
    const retired = await api(xihu.url, 'DELETE', `/api/v1/catalog/entries/${app}`);
    expect(retired.status).toBe(200);
    expect(retired.body).toMatchObject({ version: 2, status: 'retired' });
    originated['330106'] += 3;

    expect(await expectReplicated(meters, xihu, [city, province])).toMatchObject({ version: 3, updateCycle: 'realtime' });
    expect(await expectReplicated(app, xihu, [city, province])).toMatchObject({ version: 2, status: 'retired' });

    // A tombstone stays out of the default listing and shows up when asked for.
    for (const tier of [xihu, city, province]) {
      const active = await api(tier.url, 'GET', '/api/v1/catalog/entries?origin=330106');
      expect(active.body.items.map((e: { id: string }) => e.id).sort()).toEqual([meters, entryIds[2]].sort());
      const gone = await api(tier.url, 'GET', '/api/v1/catalog/entries?origin=330106&status=retired');
      expect(gone.body.items).toEqual([retired.body]);
    }
  });

  it('keeps sibling counties apart while both reach the city and the province', async () => {
    const institution = await api(binjiang.url, 'POST', '/api/v1/institutions', sampleInstitution('Binjiang Transport'));
    const entry = await api(binjiang.url, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id, { name: 'Bus stops' }));
    expect(entry.status).toBe(201);
    originated['330108'] += 2;
    await expectReplicated(entry.body.id, binjiang, [city, province]);
    expect((await get(xihu, entry.body.id)).status).toBe(404);
    expect((await get(binjiang, entryIds[0])).status).toBe(404);
  });

  it('carries an entry registered at the city to the province but not down to its counties', async () => {
    const institution = await api(city.url, 'POST', '/api/v1/institutions', sampleInstitution('Hangzhou Big Data Bureau'));
    const entry = await api(city.url, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id, { name: 'City permits' }));
    expect(entry.status).toBe(201);
    expect(entry.body.origin).toBe('330100');
    cityEntryId = entry.body.id;
    originated['330100'] += 2;
    await expectReplicated(cityEntryId, city, [province]);
    for (const county of [xihu, binjiang]) {
      expect((await get(county, cityEntryId)).status).toBe(404);
      const listed = await api(county.url, 'GET', '/api/v1/catalog/entries?scope=subtree&status=all');
      expect(listed.body.items.map((e: { origin: string }) => e.origin)).not.toContain('330100');
      expect((await api(county.url, 'GET', '/api/v1/institutions?origin=330100')).body.items).toEqual([]);
    }
  });

  it('lists only its own entries with scope=local and its subtree with scope=subtree', async () => {
    const local = await api(city.url, 'GET', '/api/v1/catalog/entries?scope=local&status=all');
    expect(local.body.items.map((e: { id: string }) => e.id)).toEqual([cityEntryId]);
    const subtree = await api(city.url, 'GET', '/api/v1/catalog/entries?scope=subtree&status=all');
    const origins = subtree.body.items.map((e: { origin: string }) => e.origin);
    expect(new Set(origins)).toEqual(new Set(['330100', '330106', '330108']));
    expect(subtree.body.items).toHaveLength(1 + entryIds.length + 1);
    // A county's own listing holds only itself, whichever scope.
    const atCounty = await api(xihu.url, 'GET', '/api/v1/catalog/entries?scope=subtree&status=all');
    expect(new Set(atCounty.body.items.map((e: { origin: string }) => e.origin))).toEqual(new Set(['330106']));
  });

  it('agrees on the digest per origin at every tier that holds the origin', async () => {
    const byOrigin = (list: OriginDigestBody[]) => Object.fromEntries(list.map((d) => [d.origin, d]));
    await eventually(async () => {
      const [p, c, x, b] = await Promise.all([province, city, xihu, binjiang].map((n) => digests(n.url)));
      expect(x.map((d) => d.origin)).toEqual(['330106']);
      expect(b.map((d) => d.origin)).toEqual(['330108']);
      // The city holds exactly its subtree, and the province holds the same for it.
      expect(c.map((d) => d.origin)).toEqual(['330100', '330106', '330108']);
      expect(p).toEqual(c);
      expect(byOrigin(c)['330106']).toEqual(x[0]);
      expect(byOrigin(c)['330108']).toEqual(b[0]);
    });
    const xihuDigest = await digestFor(province.url, '330106');
    expect(xihuDigest).toMatchObject({ count: 3, active: 2, versionSum: 3 + 2 + 1 });
    expect(xihuDigest?.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports applied counts, zero backlog and zero pending once converged', async () => {
    await eventually(async () => {
      const xihuLink = await childStatus(city.url, '330106');
      expect(xihuLink).toMatchObject({ applied: originated['330106'], skipped: 0, rejected: 0, pending: 0, lastError: null });
      const binjiangLink = await childStatus(city.url, '330108');
      expect(binjiangLink).toMatchObject({ applied: originated['330108'], skipped: 0, rejected: 0, pending: 0 });
      // The province gets the city's own records, its children's forwarded records, and the two forwarded joins.
      const cityLink = await childStatus(province.url, '330100');
      expect(cityLink).toMatchObject({
        applied: originated['330100'] + originated['330106'] + originated['330108'] + 2,
        skipped: 0,
        rejected: 0,
        pending: 0,
      });
      for (const node of [xihu, binjiang, city]) {
        const status = await api(node.url, 'GET', '/api/v1/federation/status');
        expect(status.body.parent).toMatchObject({ joined: true, outboxBacklog: 0, oldestQueuedAt: null, lastError: null });
        expect(status.body.parent.published).toBeGreaterThan(0);
      }
    });
    const cityStatus = await api(city.url, 'GET', '/api/v1/federation/status');
    expect(cityStatus.body.children[0]).toMatchObject({ code: '330106', lastOrigin: '330106', lastLagSeconds: expect.any(Number) });
    expect(cityStatus.body.parent.published).toBe(originated['330100'] + originated['330106'] + originated['330108'] + 2);
  });

  it('exposes replication lag and outbox backlog as Prometheus metrics', async () => {
    const atCity = await api(city.url, 'GET', '/metrics');
    expect(atCity.status).toBe(200);
    expect(atCity.body).toMatch(/^tdx_replication_lag_seconds\{child="330106",node="330100"\} [0-9.e+-]+$/m);
    expect(atCity.body).toMatch(/^tdx_outbox_backlog\{node="330100"\} 0$/m);
    const atProvince = await api(province.url, 'GET', '/metrics');
    expect(atProvince.body).toMatch(/^tdx_replication_lag_seconds\{child="330100",node="330000"\} /m);
    expect(atProvince.body).toMatch(/^tdx_replication_records_total\{child="330100",outcome="applied",node="330000"\} [1-9]/m);
  });
});
