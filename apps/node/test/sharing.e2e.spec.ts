import { api, apiWith, createTestDatabase, deleteNamespaceStreams, eventually, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import type { INestApplication } from '@nestjs/common';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';
import { accountWith } from './support/auth';
import { SourceRow, sourceRowsIn, writeSourceRows } from './support/returns';
import { awaitTrustLists } from './support/replication';
import { oracleMaskRow } from './support/masking-oracle';
import { maskPlan } from '../src/datasets/masking';
import { ShareClock } from '../src/sharing/share-clock';
import { Channel } from '../src/channel/channel';
import { DataSource } from 'typeorm';

const ITEMS = [
  { name: 'uscc', type: 'string', sensitive: false },
  { name: 'company', type: 'string', sensitive: false },
  { name: 'legal_person', type: 'string', sensitive: true },
  { name: 'phone', type: 'string', sensitive: true },
  { name: 'capital', type: 'integer', sensitive: false },
];

// Yinzhou's rows: its own district, and (to be kept out) a neighbour's and another city's.
const REGIONS: Record<string, number> = { 330212: 23, 330203: 6, 330106: 4 };

function rows(): SourceRow[] {
  return Object.entries(REGIONS).flatMap(([region, count]) =>
    Array.from({ length: count }, (_, i) => ({
      key: `${region}-${String(i).padStart(4, '0')}`,
      region,
      data: {
        uscc: `91${region}MA${String(i).padStart(8, '0')}`,
        company: `Company ${region}/${i}`,
        legal_person: i % 2 ? '张三' : '欧阳小明',
        phone: `138${String(10_000_000 + i).slice(-8)}`,
        capital: 1000 * i,
      },
    })),
  );
}

const YEAR_AHEAD = new Date(Date.now() + 365 * 86_400_000).toISOString();

/**
 * Sharing across the province (Article 10): staff of an institution of Xihu 330106 (under Hangzhou)
 * ask for resources of an institution of Yinzhou 330212 (under Ningbo); the two counties are on
 * different branches of the tree. Every node has its own database; all share the NATS server
 * under this file's namespace.
 */
describe('sharing between institutions (Article 10)', () => {
  const namespace = testNamespace();
  const databases: Record<string, TestDatabase> = {};
  const nodes: Record<string, RunningNode & { app: INestApplication }> = {};
  const entries: Record<'conditional' | 'unconditional' | 'none' | 'l4', string> = { conditional: '', unconditional: '', none: '', l4: '' };
  let staff: string;
  let admin: string;
  let xihuInstitution: string;

  async function start(code: string, parentCode?: string): Promise<void> {
    databases[code] = await createTestDatabase(`share_${code}`);
    nodes[code] = await startInProcessNode({ code, parentCode, databaseUrl: databases[code].url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
  }

  const X = () => nodes['330106'].url;
  const Y = () => nodes['330212'].url;
  const ask = (body: Record<string, unknown>) =>
    apiWith(staff, X(), 'POST', '/api/v1/shares', {
      items: ['uscc', 'company', 'phone'],
      regions: ['330212'],
      purpose: 'licence checks in the district',
      expiresAt: YEAR_AHEAD,
      ...body,
    });
  const query = (id: string, body: Record<string, unknown>) => apiWith(staff, X(), 'POST', `/api/v1/shares/${id}/query`, body);
  const countAt = async (code: string) => Number((await databases[code].query<{ n: string }>('SELECT count(*) AS n FROM share_request'))[0].n);
  const audit = (code: string, id: string) =>
    databases[code].query<{ actor: string; action: string; outcome: string; details: Record<string, unknown> }>(
      `SELECT actor, action, outcome, details FROM audit_record WHERE target = $1 ORDER BY seq`,
      [id],
    );

  async function granted(id: string): Promise<void> {
    await eventually(async () => expect((await apiWith(staff, X(), 'GET', `/api/v1/shares/${id}`)).body.state).toBe('granted'), 20_000);
  }

  beforeAll(async () => {
    await start('330000');
    await start('330100', '330000');
    await start('330200', '330000');
    await start('330106', '330100');
    await start('330212', '330200');
    const yInstitution = await api(Y(), 'POST', '/api/v1/institutions', sampleInstitution('Yinzhou Market Regulator'));
    const xInstitution = await api(X(), 'POST', '/api/v1/institutions', sampleInstitution('Xihu Market Regulator'));
    xihuInstitution = xInstitution.body.id;
    const entry = async (overrides: Record<string, unknown>) => {
      const created = await api(Y(), 'POST', '/api/v1/catalog/entries', {
        type: 'data',
        name: 'Enterprise register',
        summary: 'Enterprises of the district',
        providerId: yInstitution.body.id,
        category: 'market-regulation',
        grade: 'L2',
        shareType: 'unconditional',
        openType: 'restricted',
        updateCycle: 'daily',
        dataItems: ITEMS,
        ...overrides,
      });
      expect(created.status).toBe(201);
      return created.body.id as string;
    };
    entries.conditional = await entry({ name: 'Licences', shareType: 'conditional', shareCondition: 'for market supervision only' });
    entries.unconditional = await entry({ name: 'Register' });
    entries.none = await entry({ name: 'Inspections', shareType: 'none', legalBasis: 'Regulation X, Article 7' });
    entries.l4 = await entry({ name: 'Persons', grade: 'L4', shareType: 'conditional', shareCondition: 'courts only', openType: 'prohibited' });
    for (const id of [entries.conditional, entries.unconditional]) await writeSourceRows(databases['330212'], id, rows());
    staff = (await accountWith(X(), 'xihu.staff', [{ role: 'institution-user', institutionId: xihuInstitution }])).token;
    admin = (await accountWith(Y(), 'yinzhou.admin', [{ role: 'institution-admin', institutionId: yInstitution.body.id }])).token;
    await awaitTrustLists(
      Object.values(nodes).map((n) => n.url),
      ['330000', '330100', '330106', '330200', '330212'],
    );
    // The entries have reached the province, where a county of another branch finds them.
    await eventually(async () => {
      const held = await databases['330000'].query<{ n: string }>('SELECT count(*) AS n FROM catalog_entry WHERE origin = $1', ['330212']);
      expect(Number(held[0].n)).toBe(4);
    }, 20_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(nodes).map((n) => n.stop()));
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    await Promise.all(Object.values(databases).map((d) => d.drop()));
  });

  it('a conditional resource: requested at Xihu, approved by the admin at Yinzhou, queried within the grant, refused outside it and after revocation', async () => {
    const created = await ask({ entryId: entries.conditional });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      side: 'consumer',
      provider: '330212',
      consumer: '330106',
      state: 'requested',
      consumerInstitution: xihuInstitution,
      overdue: false,
    });
    const id = created.body.id as string;
    await eventually(
      async () => expect((await apiWith(admin, Y(), 'GET', `/api/v1/shares/${id}`)).body).toMatchObject({ side: 'provider', state: 'requested' }),
      20_000,
    );
    // Not yet granted: the provider refuses every query.
    expect((await query(id, { fields: ['uscc'] })).status).toBe(403);
    // Decided at the provider only, with a reason.
    expect((await apiWith(admin, Y(), 'POST', `/api/v1/shares/${id}/approve`, {})).status).toBe(400);
    const approved = await apiWith(admin, Y(), 'POST', `/api/v1/shares/${id}/approve`, { reason: 'condition met: market supervision' });
    expect(approved.status).toBe(200);
    expect(approved.body.history.map((h: { state: string }) => h.state)).toEqual(['requested', 'approved', 'granted']);
    expect(approved.body.history[1]).toMatchObject({ by: '330212', actor: 'user:yinzhou.admin', note: 'condition met: market supervision' });
    await granted(id);
    const atConsumer = (await apiWith(staff, X(), 'GET', `/api/v1/shares/${id}`)).body;
    expect(atConsumer.history).toEqual(approved.body.history);

    // Exactly the rows and items an SQL query at the provider says, masked by grade.
    const plan = maskPlan('L2', ITEMS);
    const expected = await sourceRowsIn(databases['330212'], entries.conditional, `region_code LIKE '330212%'`);
    const served: { rowKey: string; regionCode: string; data: Record<string, unknown> }[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const answer = await query(id, { fields: ['uscc', 'phone'], limit: 7, ...(cursor ? { cursor } : {}) });
      expect(answer.status).toBe(200);
      served.push(...answer.body.items);
      cursor = answer.body.nextCursor ?? undefined;
      if (!cursor) break;
    }
    expect(served.map((r) => r.rowKey)).toEqual([...expected.keys()]);
    for (const row of served) {
      const source = expected.get(row.rowKey)!;
      const masked = oracleMaskRow(source.data, plan);
      expect(row).toEqual({ rowKey: row.rowKey, regionCode: source.region, data: { uscc: masked.uscc, phone: masked.phone } });
    }
    expect(served[0].data.phone).toMatch(/^138\*{4}\d{4}$/);
    // Equality filter on a non-sensitive item.
    const filtered = await query(id, { fields: ['uscc', 'company'], filters: { company: 'Company 330212/3' } });
    expect(filtered.body.items.map((r: { rowKey: string }) => r.rowKey)).toEqual(['330212-0003']);

    // Outside the grant: refused with the rule, nothing served.
    const field = await query(id, { fields: ['uscc', 'legal_person'] });
    expect(field.status).toBe(422);
    expect(field.body).toMatchObject({ rule: 'field-outside-grant', article: 'Article 10' });
    expect(field.body.items).toBeUndefined();
    const region = await query(id, { fields: ['uscc'], regions: ['330203'] });
    expect(region).toMatchObject({ status: 422, body: { rule: 'region-outside-grant' } });
    expect((await query(id, { fields: ['uscc', 'phone'], filters: { phone: '13800000001' } })).body).toMatchObject({ rule: 'filter-on-sensitive-item' });

    // Revoked at the provider: the next call is refused, and the consumer learns it.
    const revoked = await apiWith(admin, Y(), 'POST', `/api/v1/shares/${id}/revoke`, { reason: 'supervision finished' });
    expect(revoked).toMatchObject({ status: 200, body: { state: 'revoked', reason: 'supervision finished' } });
    const after = await query(id, { fields: ['uscc'] });
    expect(after).toMatchObject({ status: 403, body: { rule: 'grant-not-in-force' } });
    await eventually(async () => expect((await apiWith(staff, X(), 'GET', `/api/v1/shares/${id}`)).body.state).toBe('revoked'), 20_000);

    // Both audit logs hold every step.
    await eventually(async () => {
      const consumer = await audit('330106', id);
      const states = consumer.filter((r) => r.action === 'share.state').map((r) => r.outcome);
      expect(states).toEqual(['requested', 'granted', 'revoked']);
      const queries = consumer.filter((r) => r.action === 'share.query');
      expect(queries.filter((r) => r.outcome === 'served').length).toBeGreaterThanOrEqual(5);
      expect(queries.filter((r) => r.outcome === 'refused').length).toBeGreaterThanOrEqual(5);
      // One record per served query, the feature's: the HTTP trail adds none (RecordedByFeature); it does record refusals.
      const trail = consumer.filter((r) => r.action === 'POST /api/v1/shares/:id/query');
      expect(trail.filter((r) => r.outcome === '200')).toEqual([]);
      expect(trail.filter((r) => r.outcome === '403').length).toBeGreaterThanOrEqual(1);
      expect(queries.find((r) => r.outcome === 'served')).toMatchObject({
        actor: 'user:xihu.staff',
        details: { fields: ['uscc', 'phone'], regions: ['330212'], rows: 7 },
      });
      const provider = await audit('330212', id);
      expect(provider.filter((r) => r.action === 'share.state').map((r) => r.outcome)).toEqual(['requested', 'granted', 'revoked']);
      const providerQueries = provider.filter((r) => r.action === 'share.query');
      expect(providerQueries.find((r) => r.outcome === 'served')).toMatchObject({ actor: 'node:330106', details: { user: 'user:xihu.staff', rows: 7 } });
      expect(providerQueries.filter((r) => r.outcome === 'refused').map((r) => r.details.rule)).toEqual(
        expect.arrayContaining(['grant-not-in-force', 'field-outside-grant', 'region-outside-grant']),
      );
    }, 10_000);
  }, 90_000);

  it('an unconditional resource is granted at once; a resource not shared is refused with its legal basis, nothing stored', async () => {
    const created = await ask({ entryId: entries.unconditional });
    expect(created.status).toBe(201);
    await granted(created.body.id);
    const rows = await query(created.body.id, { fields: ['company'] });
    expect(rows.body.items).toHaveLength(23);

    const before = await countAt('330106');
    const none = await ask({ entryId: entries.none });
    expect(none.status).toBe(422);
    expect(none.body).toMatchObject({ rule: 'not-shareable', article: 'Article 10' });
    expect(none.body.message).toContain('Regulation X, Article 7');
    expect(await countAt('330106')).toBe(before);
  }, 60_000);

  it("only the provider's institution admin (or the operator) decides; the consumer may withdraw, and the provider learns it", async () => {
    const other = await api(Y(), 'POST', '/api/v1/institutions', sampleInstitution('Yinzhou Water Company'));
    const otherAdmin = (await accountWith(Y(), 'water.admin', [{ role: 'institution-admin', institutionId: other.body.id }])).token;
    const created = await ask({ entryId: entries.conditional });
    const id = created.body.id as string;
    await eventually(async () => expect((await apiWith(admin, Y(), 'GET', `/api/v1/shares/${id}`)).status).toBe(200), 20_000);
    // Another institution's admin neither sees nor decides it; the consumer's node cannot decide it.
    expect((await apiWith(otherAdmin, Y(), 'GET', `/api/v1/shares/${id}`)).status).toBe(404);
    expect((await apiWith(otherAdmin, Y(), 'POST', `/api/v1/shares/${id}/approve`, { reason: 'not mine' })).status).toBe(403);
    expect((await apiWith(otherAdmin, Y(), 'GET', '/api/v1/shares')).body.items).toEqual([]);
    expect((await api(X(), 'POST', `/api/v1/shares/${id}/approve`, { reason: 'at the wrong end' })).body).toMatchObject({
      statusCode: 422,
      rule: 'decided-by-provider',
    });
    expect((await apiWith(admin, Y(), 'GET', `/api/v1/shares/${id}`)).body.state).toBe('requested');

    // An entry retired since the request: it can no longer be granted, only rejected.
    const mine = (await apiWith(admin, Y(), 'GET', `/api/v1/catalog/entries/${entries.conditional}`)).body;
    const retiring = await apiWith(admin, Y(), 'POST', '/api/v1/catalog/entries', {
      type: 'data',
      name: 'Old licences',
      summary: 'Licences before 2020',
      providerId: mine.providerId,
      category: 'market-regulation',
      grade: 'L2',
      shareType: 'conditional',
      shareCondition: 'for market supervision only',
      openType: 'restricted',
      updateCycle: 'daily',
      dataItems: ITEMS,
    });
    expect(retiring.status).toBe(201);
    await eventually(async () => expect((await api(nodes['330000'].url, 'GET', `/api/v1/catalog/entries/${retiring.body.id}`)).status).toBe(200), 20_000);
    const second = await ask({ entryId: retiring.body.id, items: ['uscc'] });
    await eventually(async () => expect((await apiWith(admin, Y(), 'GET', `/api/v1/shares/${second.body.id}`)).status).toBe(200), 20_000);
    expect((await apiWith(admin, Y(), 'DELETE', `/api/v1/catalog/entries/${retiring.body.id}`)).status).toBeLessThan(300);
    expect((await apiWith(admin, Y(), 'POST', `/api/v1/shares/${second.body.id}/approve`, { reason: 'ok' })).body).toMatchObject({
      statusCode: 422,
      rule: 'entry-retired',
    });
    expect((await apiWith(admin, Y(), 'POST', `/api/v1/shares/${second.body.id}/reject`, { reason: 'retired' })).body).toMatchObject({ state: 'rejected' });

    const withdrawn = await apiWith(staff, X(), 'POST', `/api/v1/shares/${id}/withdraw`, { reason: 'no longer needed' });
    expect(withdrawn).toMatchObject({ status: 200, body: { state: 'withdrawn' } });
    await eventually(
      async () => expect((await apiWith(admin, Y(), 'GET', `/api/v1/shares/${id}`)).body).toMatchObject({ state: 'withdrawn', reason: 'no longer needed' }),
      20_000,
    );
    expect((await apiWith(admin, Y(), 'POST', `/api/v1/shares/${id}/approve`, { reason: 'too late' })).body).toMatchObject({
      statusCode: 422,
      rule: 'share-state',
    });
  }, 60_000);

  it('hostile bodies on the API: 400, 404 or 422, nothing stored', async () => {
    const before = await countAt('330106');
    expect((await ask({ entryId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
    expect((await ask({ entryId: entries.conditional, items: ['uscc', 'no_such_item'] })).body).toMatchObject({ statusCode: 422, rule: 'item-not-in-entry' });
    expect((await ask({ entryId: entries.l4, items: ['uscc', 'phone'] })).body).toMatchObject({ rule: 'l4-never-shared' });
    expect((await ask({ entryId: entries.conditional, expiresAt: '2020-01-01T00:00:00Z' })).body).toMatchObject({ rule: 'expiry-in-the-past' });
    expect((await ask({ entryId: entries.conditional, regions: ['999999'] })).status).toBe(422);
    for (const body of [
      { entryId: 'not-a-uuid' },
      { entryId: entries.conditional, purpose: '   ' },
      { entryId: entries.conditional, items: [] },
      { entryId: entries.conditional, extra: true },
      { entryId: entries.conditional, expiresAt: 'tomorrow' },
      { entryId: entries.conditional, items: 'uscc' },
    ]) {
      expect({ body, status: (await ask(body)).status }).toEqual({ body, status: 400 });
    }
    expect((await query('00000000-0000-4000-8000-000000000000', { fields: ['uscc'] })).status).toBe(404);
    expect(await countAt('330106')).toBe(before);
    expect(await countAt('330212')).toBeLessThanOrEqual(before);
  }, 60_000);

  it('a share.query, decision or revocation crafted by a node that holds no grant is refused, nothing applied', async () => {
    const created = await ask({ entryId: entries.unconditional });
    await granted(created.body.id);
    const ningbo = nodes['330200'].app.get(Channel, { strict: false });
    await expect(
      ningbo.ask('330212', 'share.query', {
        id: created.body.id,
        actor: 'user:intruder',
        fields: ['uscc'],
        regions: null,
        filters: null,
        cursor: null,
        limit: 10,
      }),
    ).rejects.toMatchObject({ kind: 'forbidden', rule: 'grant-not-in-force' });
    await expect(ningbo.ask('330212', 'share.query', { id: created.body.id, fields: ['uscc'] })).rejects.toMatchObject({ kind: 'invalid' });
    // A durable decision or revocation from a node that is not the provider: refused, nothing applied at the consumer.
    const ningboData = nodes['330200'].app.get(DataSource, { strict: false });
    const at = new Date().toISOString();
    await ningboData.transaction(async (m) => {
      await ningbo.enqueue(m, '330106', 'share.revoke', {
        id: created.body.id,
        event: { at, state: 'revoked', by: '330200', actor: 'user:intruder', note: 'forged' },
      });
      await ningbo.enqueue(m, '330106', 'share.decision', {
        id: created.body.id,
        state: 'rejected',
        reason: 'forged',
        rule: null,
        expiresAt: at,
        deadline: null,
        events: [{ at, state: 'rejected', by: '330200', actor: 'user:intruder', note: 'forged' }],
      });
    });
    await eventually(async () => {
      const refused = await databases['330106'].query<{ target: string }>(
        `SELECT target FROM audit_record WHERE action = 'share.refused' AND actor = 'node:330200'`,
      );
      expect(refused.map((r) => r.target).sort()).toEqual(['share.decision', 'share.revoke']);
    }, 20_000);
    expect((await apiWith(staff, X(), 'GET', `/api/v1/shares/${created.body.id}`)).body.state).toBe('granted');
  }, 60_000);

  it('an overdue conditional request is flagged, its deadline counted in working days across the holidays', async () => {
    const clocks = ['330106', '330212'].map((code) => nodes[code].app.get(ShareClock, { strict: false }));
    // Thursday 24 September 2026, 10:00 in Hangzhou: the Mid-Autumn (25-27 Sep) and National Day (1-7 Oct) holidays
    // follow, with Saturday 10 October a working day. Ten working days: 28, 29, 30 Sep, 8, 9, 10, 12, 13, 14, 15 Oct.
    for (const clock of clocks) clock.fixAt(new Date('2026-09-24T02:00:00Z'));
    try {
      const created = await ask({ entryId: entries.conditional });
      expect(created.body).toMatchObject({ deadline: '2026-10-15T16:00:00.000Z', overdue: false });
      const id = created.body.id as string;
      await eventually(async () => expect((await apiWith(admin, Y(), 'GET', `/api/v1/shares/${id}`)).body.deadline).toBe('2026-10-15T16:00:00.000Z'), 20_000);
      for (const clock of clocks) clock.fixAt(new Date('2026-10-15T15:59:00Z'));
      expect((await apiWith(admin, Y(), 'GET', `/api/v1/shares/${id}`)).body.overdue).toBe(false);
      for (const clock of clocks) clock.fixAt(new Date('2026-10-15T16:01:00Z'));
      expect((await apiWith(admin, Y(), 'GET', `/api/v1/shares/${id}`)).body.overdue).toBe(true);
      expect((await apiWith(staff, X(), 'GET', `/api/v1/shares/${id}`)).body.overdue).toBe(true);
      const overdue = await apiWith(admin, Y(), 'GET', '/api/v1/shares?direction=incoming&overdue=true');
      expect(overdue.body.items.map((r: { id: string }) => r.id)).toEqual([id]);
      const metrics = await api(Y(), 'GET', '/metrics');
      expect(typeof metrics.body === 'string' ? metrics.body : JSON.stringify(metrics.body)).toMatch(
        /tdx_share_requests_overdue\{side="provider",node="\d{6}"\} 1/,
      );
    } finally {
      for (const clock of clocks) clock.fixAt(null);
    }
  }, 60_000);
});
