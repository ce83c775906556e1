import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessRollupView, AccessStateData } from '@tdx/contracts';
import { anonymous, api, apiWith, authHeaders, deleteNamespaceStreams, eventually, SHARED_NATS_URL, testNamespace } from '@tdx/testing';
import { inProcessFederation, RunningNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { accountWith } from './support/auth';
import { SourceRow, waitForJob, writeSourceRows } from './support/returns';
import { awaitTrustLists, LinkInjector } from './support/replication';

const DAY = 86_400_000;

const rowsOf = (tag: string, count: number): SourceRow[] =>
  Array.from({ length: count }, (_, i) => ({
    key: `${tag}-${i}`,
    region: '330100',
    data: { uscc: `91330100MA${String(i).padStart(8, '0')}`, legal_person_id: `33010019900101${String(1000 + i)}` },
  }));

/**
 * Access supervision (Article 7) on a real province 330000 and city 330100: the test makes known
 * traffic (return requests granted at once, approved, rejected, refused and left undecided; share
 * requests granted, approved and left undecided; a query; a volume spike; a junk message; refused
 * sign-ins and a 403) and checks every figure of the province's access state against its own count
 * of what it did. Two requests are aged in the database (created 40 days ago, a deadline passed),
 * the only way to have an overdue decision without waiting ten working days.
 */
describe('access supervision', () => {
  const namespace = testNamespace();
  const federation = inProcessFederation(namespace, 'access', mkdtempSync(join(tmpdir(), 'tdx-access-')));
  const nodes: Record<string, RunningNode> = {};
  const url = (code: string) => nodes[code].url;
  const db = (code: string) => federation.databases.get(code)!;
  const env = { ACCESS_SUPERVISION_INTERVAL_MINUTES: '0', AUDIT_REFUSAL_SUMMARY_SECONDS: '1' };

  let institution: string;
  /** What the test did, counted as it goes: the independent figures. */
  const did = { returns: 0, shareQueries: 0, rows: 0, refusedSignIns: 0, forbidden: 0 };
  const ids = {} as Record<'r1' | 'r2' | 'r3' | 'r4' | 'r5' | 's1' | 's2' | 's3', string>;
  let supervisor: string;

  async function entry(overrides: Record<string, unknown>, rows = 0): Promise<string> {
    const created = await api(url('330000'), 'POST', '/api/v1/catalog/entries', sampleEntry(institution, overrides));
    expect(created.status).toBe(201);
    if (rows > 0) await writeSourceRows(db('330000'), created.body.id, rowsOf(created.body.id, rows));
    return created.body.id;
  }

  async function returnRequest(entryId: string): Promise<string> {
    const created = await api(url('330100'), 'POST', '/api/v1/returns/requests', { entryId, holder: '330000', purpose: 'supervision of the city' });
    expect(created.status).toBe(201);
    did.returns++;
    return created.body.id;
  }

  async function shareRequest(entryId: string, expiresAt: string): Promise<string> {
    const created = await api(url('330100'), 'POST', '/api/v1/shares', { entryId, items: ['uscc'], regions: ['330100'], purpose: 'licence checks', expiresAt });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  const atHolder = async (id: string) => (await api(url('330000'), 'GET', `/api/v1/returns/requests/${id}`)).body;
  const shareAtProvider = async (id: string) => (await api(url('330000'), 'GET', `/api/v1/shares/${id}`)).body;
  const run = async (code: string): Promise<AccessStateData> => {
    const answer = await api(url(code), 'POST', '/api/v1/supervision/access/run');
    expect(answer.status).toBe(200);
    return answer.body.data;
  };

  async function metrics(code: string): Promise<string> {
    const response = await fetch(`${url(code)}/metrics`, { headers: await authHeaders(url(code)) });
    return response.text();
  }

  function gauge(text: string, name: string, label: string): number | undefined {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  }

  beforeAll(async () => {
    nodes['330000'] = await federation.start('330000', undefined, env);
    nodes['330100'] = await federation.start('330100', '330000', env);
    await awaitTrustLists([url('330000'), url('330100')], ['330000', '330100']);
    institution = (await api(url('330000'), 'POST', '/api/v1/institutions', sampleInstitution('Provincial Market Regulator'))).body.id;
    supervisor = (await accountWith(url('330000'), 'access.supervisor', [{ role: 'supervisor' }])).token;
  }, 90_000);

  afterAll(async () => {
    await Promise.all([...federation.running.values()].map((n) => n.stop()));
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    await Promise.all([...federation.databases.values()].map((d) => d.drop()));
  });

  it('builds known traffic at the province', async () => {
    const conditional = { shareType: 'conditional', shareCondition: 'for market supervision only', openType: 'restricted', grade: 'L2' };
    // r1: granted at once (unconditional), 1,200 rows: today's spike of the institution.
    ids.r1 = await returnRequest(await entry({ name: 'Register' }, 1200));
    // r2: approved by the operator, 10 rows; r3: rejected; r4: refused at receipt (not shared); r5: left undecided.
    ids.r2 = await returnRequest(await entry({ name: 'Licences', ...conditional }, 10));
    ids.r3 = await returnRequest(await entry({ name: 'Inspections', ...conditional }));
    ids.r4 = await returnRequest(await entry({ name: 'Secrets', shareType: 'none', legalBasis: 'Regulation X, Article 7', openType: 'prohibited' }));
    ids.r5 = await returnRequest(await entry({ name: 'Permits', ...conditional }));
    await eventually(async () => expect((await atHolder(ids.r5)).state).toBe('pending'), 20_000);
    expect((await api(url('330000'), 'POST', `/api/v1/returns/requests/${ids.r2}/approve`, { note: 'for the city' })).status).toBe(200);
    expect((await api(url('330000'), 'POST', `/api/v1/returns/requests/${ids.r3}/reject`, { reason: 'no purpose shown' })).status).toBe(200);
    for (const id of [ids.r1, ids.r2]) {
      const jobs = await waitForJob(url('330100'), id);
      did.rows += jobs.reduce((sum: number, j: { rowsDone: number }) => sum + j.rowsDone, 0);
    }
    expect(did.rows).toBe(1210);
    expect((await atHolder(ids.r4)).state).toBe('refused');

    // s1: granted at once, expiring in 10 days; queried once. s2: approved by the operator. s3: left undecided.
    ids.s1 = await shareRequest(await entry({ name: 'Open register' }, 8), new Date(Date.now() + 10 * DAY).toISOString());
    ids.s2 = await shareRequest(await entry({ name: 'Licence register', ...conditional }), new Date(Date.now() + 300 * DAY).toISOString());
    ids.s3 = await shareRequest(await entry({ name: 'Permit register', ...conditional }), new Date(Date.now() + 300 * DAY).toISOString());
    await eventually(async () => {
      expect((await api(url('330100'), 'GET', `/api/v1/shares/${ids.s1}`)).body.state).toBe('granted');
      expect((await shareAtProvider(ids.s2)).state).toBe('requested');
      expect((await shareAtProvider(ids.s3)).state).toBe('requested');
    }, 20_000);
    expect((await api(url('330000'), 'POST', `/api/v1/shares/${ids.s2}/approve`, { reason: 'condition met' })).status).toBe(200);
    const queried = await api(url('330100'), 'POST', `/api/v1/shares/${ids.s1}/query`, { fields: ['uscc'] });
    expect(queried.status).toBe(200);
    expect(queried.body.items).toHaveLength(8);
    did.shareQueries++;
    did.rows += queried.body.items.length;

    // Overdue: r5 received 40 days ago, s3's deadline passed yesterday.
    await db('330000').query(`UPDATE return_request SET created_at = now() - interval '40 days' WHERE id = $1`, [ids.r5]);
    await db('330000').query(`UPDATE share_request SET deadline = now() - interval '1 day' WHERE id = $1 AND side = 'provider'`, [ids.s3]);

    // Security events: a junk message on the city's link to the province, two refused sign-ins, one 403.
    const injector = await LinkInjector.connect(SHARED_NATS_URL, namespace);
    await injector.publish('330000', '330100', Buffer.from('not an envelope at all'));
    await injector.close();
    await eventually(async () => expect(await db('330000').query(`SELECT sender FROM rejected_message`)).toEqual([{ sender: '330100' }]), 20_000);
    for (let i = 0; i < 2; i++) {
      expect((await anonymous(url('330000'), 'POST', '/api/v1/auth/login', { username: 'admin', password: `wrong-password-${i}` })).status).toBe(401);
      did.refusedSignIns++;
    }
    expect((await apiWith(supervisor, url('330000'), 'POST', '/api/v1/supervision/access/run')).status).toBe(403);
    did.forbidden++;
    // Anonymous refusals are summarised in the audit log every AUDIT_REFUSAL_SUMMARY_SECONDS.
    await eventually(async () => {
      const summaries = await db('330000').query<{ total: string }>(
        `SELECT details->>'total' AS total FROM audit_record WHERE action = 'http.anonymous-refusals'`,
      );
      expect(summaries.reduce((sum, r) => sum + Number(r.total), 0)).toBe(did.refusedSignIns);
    }, 20_000);
  }, 180_000);

  it("computes each figure of the province's state as the test counted it", async () => {
    const d = await run('330000');
    const volume = { returns: did.returns, shareQueries: did.shareQueries, shareDeliveries: 0, rows: did.rows };
    expect(did).toMatchObject({ returns: 5, shareQueries: 1, rows: 1218 });
    expect(d.volumes).toEqual({ ...volume, institutions: [{ institution, ...volume }], counterparts: [{ node: '330100', ...volume }] });
    expect(d.refusedByClass).toEqual([
      { class: 'return-refused', count: 1 },
      { class: 'return-rejected', count: 1 },
    ]);
    expect(d.refused).toBe(2);

    // Decided by a person: r2 (approved), r3 (rejected), s2 (approved); each one's hours from the histories the API shows.
    const hours = async (created: string, history: { state: string; at: string }[], states: string[]) =>
      (Date.parse(history.find((e) => states.includes(e.state) && e.at > created)!.at) - Date.parse(created)) / 3_600_000;
    const r2 = await atHolder(ids.r2);
    const r3 = await atHolder(ids.r3);
    const s2 = await shareAtProvider(ids.s2);
    const decided = [
      await hours(r2.createdAt, r2.history, ['granted']),
      await hours(r3.createdAt, r3.history, ['rejected']),
      await hours(s2.createdAt, s2.history, ['approved']),
    ].sort((a, b) => a - b);
    expect(d.decisions).toEqual({ answered: 3, overdue: 2, medianHoursToDecide: Math.round(decided[1] * 100) / 100 });
    expect(d.grantsExpiringSoon).toBe(1);
    expect(d.securityEventsByKind).toEqual({ rejectedMessages: 1, refusedSignIns: did.refusedSignIns, forbidden: did.forbidden });
    expect(d.securityEvents).toBe(1 + did.refusedSignIns + did.forbidden);

    expect(d.alerts.map((a) => `${a.kind} ${a.subject}`).sort()).toEqual(
      [
        `grant-expiring share:${ids.s1}`,
        `overdue-decision return:${ids.r5}`,
        `overdue-decision share:${ids.s3}`,
        'security-events node:330100',
        `unusual-volume institution:${institution}`,
      ].sort(),
    );
    expect(d.alerts.find((a) => a.kind === 'unusual-volume')?.message).toContain(`${did.rows} rows exchanged today`);
    expect(d.links).toEqual([{ code: '330100', health: 'healthy', lagSeconds: expect.any(Number), backlog: expect.any(Number) }]);
    expect(Date.parse(d.period.to) - Date.parse(d.period.from)).toBe(30 * DAY);
    expect(Date.parse(d.period.to)).toBeGreaterThan(Date.now() - 1000);
  });

  it('shows the alerts in the API and as gauges; a run with nothing new publishes nothing', async () => {
    // Two runs within one minute over the same records compute the same state (retried should they straddle a minute).
    await eventually(async () => {
      await run('330000');
      expect((await api(url('330000'), 'POST', '/api/v1/supervision/access/run')).body.outcome).toBe('unchanged');
    });
    const alerts = await apiWith(supervisor, url('330000'), 'GET', '/api/v1/supervision/alerts');
    expect(alerts.status).toBe(200);
    expect(alerts.body.items).toHaveLength(5);
    expect(alerts.body.items.every((a: { origin: string }) => a.origin === '330000')).toBe(true);
    const text = await metrics('330000');
    expect(gauge(text, 'tdx_supervision_alerts', 'kind="overdue-decision"')).toBe(2);
    expect(gauge(text, 'tdx_supervision_alerts', 'kind="unusual-volume"')).toBe(1);
    expect(gauge(text, 'tdx_supervision_alerts', 'kind="grant-expiring"')).toBe(1);
    expect(gauge(text, 'tdx_supervision_alerts', 'kind="security-events"')).toBe(1);
    expect(gauge(text, 'tdx_supervision_alerts', 'kind="link-unhealthy"')).toBe(0);
    expect(gauge(text, 'tdx_supervision_overdue_decisions', 'origin="330000"')).toBe(2);
  });

  it("rolls up the city's figures at the province, totals summed over the subtree", async () => {
    const city = await run('330100');
    // The city received what the province sent for its returns.
    expect(city.volumes).toMatchObject({ returns: 0, shareQueries: 1, rows: did.rows });
    const rollup = await eventually(async () => {
      const answer = await apiWith(supervisor, url('330000'), 'GET', '/api/v1/supervision/access');
      expect(answer.status).toBe(200);
      expect(answer.body.nodes.map((n: { origin: string }) => n.origin)).toEqual(['330000', '330100']);
      return answer.body as AccessRollupView;
    }, 30_000);
    expect(rollup.nodes[1].data).toEqual(city);
    expect(rollup.own?.origin).toBe('330000');
    const sum = (f: (d: AccessStateData) => number) => rollup.nodes.reduce((s, n) => s + f(n.data), 0);
    expect(rollup.totals).toEqual({
      nodes: 2,
      returns: sum((x) => x.volumes.returns),
      shareQueries: sum((x) => x.volumes.shareQueries),
      shareDeliveries: sum((x) => x.volumes.shareDeliveries),
      rows: sum((x) => x.volumes.rows),
      refused: sum((x) => x.refused),
      answered: sum((x) => x.decisions.answered),
      overdue: sum((x) => x.decisions.overdue),
      grantsExpiringSoon: sum((x) => x.grantsExpiringSoon),
      securityEvents: sum((x) => x.securityEvents),
      alerts: sum((x) => x.alerts.length),
    });
    expect(rollup.totals.rows).toBe(2 * did.rows);
    const cityOnly = await api(url('330000'), 'GET', '/api/v1/supervision/access?within=330100');
    expect(cityOnly.body.nodes.map((n: { origin: string }) => n.origin)).toEqual(['330100']);
    expect(cityOnly.body.own).toBeNull();
    expect((await api(url('330100'), 'GET', '/api/v1/supervision/access?within=330000')).status).toBe(422);
    expect((await api(url('330000'), 'GET', '/api/v1/supervision/alerts?within=33')).status).toBe(400);
  });
});
