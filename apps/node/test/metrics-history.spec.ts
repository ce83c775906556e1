// The metrics history on a real province-city federation in this process, sampled every second
// (METRICS_HISTORY_INTERVAL=1): each link's lag and backlog under the peer's code, requests answered
// by status class (added up over two replicas of one node), rows received, pruning after 7 days,
// and bad queries refused naming their field.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anonymous, api, apiOk, deleteNamespaceStreams, eventually, SHARED_NATS_URL, testNamespace } from '@tdx/testing';
import { inProcessFederation, RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { waitForJob, writeSourceRows } from './support/returns';
import { awaitTrustLists } from './support/replication';

interface Point {
  at: string;
  label: string | null;
  value: number;
}

describe('metrics history', () => {
  const namespace = testNamespace();
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-history-'));
  const federation = inProcessFederation(namespace, 'history', keyDir);
  const { databases, running } = federation;
  const env = { METRICS_HISTORY_INTERVAL: '1', HEARTBEAT_INTERVAL: '1', TRUST_REFRESH: '1' };
  const extra: RunningNode[] = [];
  const url = (code: string) => (running.get(code) as RunningNode).url;

  async function history(base: string, series: string, hours = 1): Promise<Point[]> {
    const { body } = await apiOk(base, 'GET', `/api/v1/metrics/history?series=${series}&hours=${hours}`);
    expect(body.series).toBe(series);
    return body.points as Point[];
  }
  const total = (points: Point[], label: string | null) => points.filter((p) => p.label === label).reduce((sum, p) => sum + p.value, 0);

  beforeAll(async () => {
    await federation.start('330000', undefined, env);
    await federation.start('330100', '330000', env);
    // A record from the city, so that the province has a lag to sample.
    await eventually(
      async () =>
        expect((await api(url('330000'), 'GET', '/api/v1/federation/status')).body.children).toContainEqual(
          expect.objectContaining({ code: '330100', status: 'approved' }),
        ),
      30_000,
    );
    await apiOk(url('330100'), 'POST', '/api/v1/institutions', sampleInstitution('Hangzhou Water Supply'));
  }, 90_000);

  afterAll(async () => {
    for (const n of extra) await n.stop().catch(() => undefined);
    for (const n of [...running.values()].reverse()) await n.stop().catch(() => undefined);
    for (const d of databases.values()) await d.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  it('samples each link: lag and backlog at the parent under the child, the outbox backlog at the child under the parent', async () => {
    await eventually(async () => {
      const lag = await history(url('330000'), 'link-lag-seconds');
      expect(lag.some((p) => p.label === '330100' && p.value >= 0)).toBe(true);
      expect((await history(url('330000'), 'link-backlog')).some((p) => p.label === '330100')).toBe(true);
      expect((await history(url('330100'), 'link-backlog')).some((p) => p.label === '330000')).toBe(true);
    }, 30_000);
    // One sample per series, label and interval, stamped with the interval's start, oldest first.
    const points = await history(url('330000'), 'link-backlog');
    for (const p of points) expect(Date.parse(p.at) % 1000).toBe(0);
    const keys = points.map((p) => `${p.at} ${p.label}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(keys);
    // The city has no children: no lag of its own.
    expect(await history(url('330100'), 'link-lag-seconds')).toEqual([]);
  });

  it('counts requests answered per interval by status class, added up over the replicas of a node', async () => {
    // A second replica of the city: same database, same key.
    const db = databases.get('330100');
    const replica = await startInProcessNode({
      code: '330100',
      parentCode: '330000',
      databaseUrl: db!.url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
      keyFile: join(keyDir, '330100.pem'),
      env,
    });
    extra.push(replica);
    const before = total(await history(url('330100'), 'http-requests'), '4xx');
    for (let i = 0; i < 3; i++) expect((await anonymous(url('330100'), 'GET', `/api/v1/no-such-route-${i}`)).status).toBe(404);
    for (let i = 0; i < 4; i++) expect((await anonymous(replica.url, 'GET', `/api/v1/no-such-route-${i}`)).status).toBe(404);
    await eventually(async () => expect(total(await history(url('330100'), 'http-requests'), '4xx')).toBeGreaterThanOrEqual(before + 7), 15_000);
    const points = await history(replica.url, 'http-requests');
    // The classes a chart shows are written every interval, 0 when quiet.
    expect([...new Set(points.map((p) => p.label))]).toEqual(expect.arrayContaining(['2xx', '4xx', '5xx']));
    expect(total(points, '2xx')).toBeGreaterThan(0);
    // One replica samples the links (the lease), every replica adds its counts.
    const leases = await db!.query<{ n: number }>(`SELECT count(DISTINCT holder)::int AS n FROM worker_lease WHERE name = 'metrics-history'`);
    expect(leases).toEqual([{ n: 1 }]);
    const samples = await db!.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT at, label FROM metric_sample WHERE series = 'link-backlog' GROUP BY at, label HAVING count(*) > 1) twice`,
    );
    expect(samples).toEqual([{ n: 0 }]);
  });

  it('writes transfer-rows every interval, without a label, counting the rows a return transfer brings', async () => {
    await eventually(async () => {
      const points = await history(url('330000'), 'transfer-rows');
      expect(points.length).toBeGreaterThan(1);
      for (const p of points) expect(p).toEqual({ at: expect.any(String), label: null, value: expect.any(Number) });
    }, 10_000);
    const province = url('330000');
    const institution = await apiOk(province, 'POST', '/api/v1/institutions', sampleInstitution('Provincial Market Regulator'));
    const entry = await apiOk(province, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id, { name: 'Enterprises' }));
    const rows = Array.from({ length: 25 }, (_, i) => ({ key: `r-${i}`, region: '330106', data: { uscc: `U${i}`, legal_person_id: `3301061990${i}` } }));
    await writeSourceRows(databases.get('330000')!, entry.body.id, rows);
    await awaitTrustLists([province, url('330100')], ['330000', '330100']);
    const before = total(await history(url('330100'), 'transfer-rows'), null);
    const created = await apiOk(url('330100'), 'POST', '/api/v1/returns/requests', {
      holder: '330000',
      entryId: entry.body.id,
      // The city's counties too: the rows are Xihu's.
      scope: 'subtree',
      purpose: 'supervision of the city',
    });
    const jobs = await waitForJob(url('330100'), created.body.id);
    expect(jobs[0]).toMatchObject({ state: 'done', rowsDone: 25 });
    await eventually(async () => expect(total(await history(url('330100'), 'transfer-rows'), null)).toBe(before + 25), 15_000);
  });

  it('keeps 7 days and prunes what is older', async () => {
    const db = databases.get('330000')!;
    await db.query(`INSERT INTO metric_sample (series, at, label, value) VALUES
      ('link-backlog', date_trunc('minute', now()) - interval '8 days', '330199', 5),
      ('link-backlog', date_trunc('minute', now()) - interval '6 days', '330199', 6)`);
    await eventually(async () => {
      const left = await db.query<{ value: number }>(`SELECT value FROM metric_sample WHERE label = '330199' ORDER BY at`);
      expect(left).toEqual([{ value: 6 }]);
    }, 10_000);
    expect((await history(url('330000'), 'link-backlog', 168)).filter((p) => p.label === '330199').map((p) => p.value)).toEqual([6]);
    expect((await history(url('330000'), 'link-backlog', 1)).filter((p) => p.label === '330199')).toEqual([]);
  });

  it('refuses bad queries naming the field, and anonymous callers', async () => {
    const base = url('330000');
    const cases: [string, string][] = [
      ['hours=1', 'series'],
      ['series=nope&hours=1', 'series'],
      ['series=http-requests&series=link-backlog&hours=1', 'series'],
      ['series=http-requests', 'hours'],
      ['series=http-requests&hours=0', 'hours'],
      ['series=http-requests&hours=169', 'hours'],
      ['series=http-requests&hours=1.5', 'hours'],
      ['series=http-requests&hours=abc', 'hours'],
      ['series=http-requests&hours=1&hours=2', 'hours'],
      ['series=http-requests&hours=1&extra=1', 'extra'],
    ];
    for (const [query, field] of cases) {
      const { status, body } = await api(base, 'GET', `/api/v1/metrics/history?${query}`);
      expect([query, status]).toEqual([query, 400]);
      expect([query, body.fields.map((f: { field: string }) => f.field)]).toEqual([query, expect.arrayContaining([field])]);
    }
    expect((await anonymous(base, 'GET', '/api/v1/metrics/history?series=http-requests&hours=1')).status).toBe(401);
  });
});
