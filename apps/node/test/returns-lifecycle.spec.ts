import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, authHeaders, deleteNamespaceStreams, eventually, SHARED_NATS_URL, testNamespace } from '@tdx/testing';
import { inProcessFederation, RunningNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { returnedRows, SourceRow, waitForJob, writeSourceRows } from './support/returns';
import { awaitTrustLists } from './support/replication';

type Job = { id: string; kind: string; state: string; rowsDone: number; attempts: number; nextAttemptAt: string | null; lastError: string | null };
type Event = { at: string; state: string; by: string; note: string | null };

const rowsOf = (region: string, count: number, tag = 'r'): SourceRow[] =>
  Array.from({ length: count }, (_, i) => ({
    key: `${tag}-${region}-${i}`,
    region,
    data: { uscc: `91${region}MA${String(i).padStart(8, '0')}`, legal_person_id: `${region}19900101${String(1000 + i)}` },
  }));

/**
 * The life of a return request after its grant, on a real federation in this process: province
 * 330000, Hangzhou 330100 with Xihu 330106, and Ningbo 330200, each with its own database, on the
 * shared NATS server under this file's namespace. Requests end (the entry retired, the grant
 * revoked, the request withdrawn) at both ends; failing jobs back off; re-syncs that find nothing
 * leave no job; Hangzhou sees its county's requests at the province.
 */
describe('the lifecycle of return requests (Article 9)', () => {
  const namespace = testNamespace();
  const federation = inProcessFederation(namespace, 'life', mkdtempSync(join(tmpdir(), 'tdx-life-')));
  const nodes: Record<string, RunningNode> = {};
  let providerId: string;

  const url = (code: string) => nodes[code].url;
  const db = (code: string) => federation.databases.get(code)!;

  async function start(code: string, parent?: string): Promise<void> {
    nodes[code] = await federation.start(code, parent, {});
  }

  /** A data entry at the province with `count` rows of Xihu, Gongshu and Ningbo each. */
  async function provinceEntry(overrides: Record<string, unknown>): Promise<string> {
    const created = await api(url('330000'), 'POST', '/api/v1/catalog/entries', sampleEntry(providerId, { grade: 'L2', openType: 'restricted', ...overrides }));
    expect(created.status).toBe(201);
    await writeSourceRows(db('330000'), created.body.id, [...rowsOf('330106', 12), ...rowsOf('330108', 5), ...rowsOf('330200', 4)]);
    return created.body.id;
  }

  async function requestFrom(code: string, entryId: string): Promise<string> {
    const created = await api(url(code), 'POST', '/api/v1/returns/requests', { entryId, holder: '330000', purpose: 'supervision of the district' });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  async function jobsOf(code: string, requestId: string): Promise<Job[]> {
    const answer = await api(url(code), 'GET', `/api/v1/returns/jobs?requestId=${requestId}`);
    expect(answer.status).toBe(200);
    return answer.body.items;
  }

  async function metric(code: string, line: string): Promise<number> {
    const response = await fetch(`${url(code)}/metrics`, { headers: await authHeaders(url(code)) });
    const found = (await response.text()).split('\n').find((l) => l.startsWith(line));
    return found ? Number(found.slice(line.length).trim()) : 0;
  }

  const requestAt = async (code: string, id: string) => (await api(url(code), 'GET', `/api/v1/returns/requests/${id}`)).body;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    await start('330000');
    await start('330100', '330000');
    await start('330200', '330000');
    await start('330106', '330100');
    await eventually(async () => {
      const known = await db('330000').query<{ code: string }>(`SELECT code FROM known_node WHERE status = 'approved' ORDER BY code`);
      expect(known.map((k) => k.code)).toEqual(['330100', '330106', '330200']);
    }, 30_000);
    await awaitTrustLists(
      Object.values(nodes).map((n) => n.url),
      ['330000', '330100', '330106', '330200'],
    );
    providerId = (await api(url('330000'), 'POST', '/api/v1/institutions', sampleInstitution('Provincial Market Regulator'))).body.id;
  });

  afterAll(async () => {
    await Promise.all([...federation.running.values()].map((n) => n.stop()));
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    await Promise.all([...federation.databases.values()].map((d) => d.drop()));
  });

  it('keeps no job for a realtime re-sync that finds nothing, only the time of the check; a change makes one', async () => {
    const entryId = await provinceEntry({ updateCycle: 'realtime', name: 'Live register' });
    const id = await requestFrom('330106', entryId);
    await waitForJob(url('330106'), id);
    const first = await requestAt('330106', id);
    expect(first.lastSyncAt).not.toBeNull();
    // Realtime: checked every 5 s. Two checks and more, and still the one full job.
    await sleep(11_000);
    const later = await requestAt('330106', id);
    expect(Date.parse(later.lastCheckedAt)).toBeGreaterThan(Date.parse(first.lastCheckedAt));
    expect(later.lastSyncAt).toBe(first.lastSyncAt);
    expect((await jobsOf('330106', id)).map((j) => j.kind)).toEqual(['full']);

    await writeSourceRows(db('330000'), entryId, [{ key: 'live-1', region: '330106', data: { uscc: 'arrived by itself' } }]);
    const jobs = await eventually(async () => {
      const all = await jobsOf('330106', id);
      expect(all.map((j) => `${j.kind} ${j.state} ${j.rowsDone}`)).toEqual(['incremental done 1', 'full done 12']);
      return all;
    }, 20_000);
    expect(jobs[0].attempts).toBe(0);
    expect((await requestAt('330106', id)).lastSyncAt).not.toBe(first.lastSyncAt);

    // Retiring the entry at the province ends the grant at both ends, with the reason; the receiver
    // keeps the 13 rows, no longer updated, and no job is tried again.
    const retired = await api(url('330000'), 'DELETE', `/api/v1/catalog/entries/${entryId}`);
    expect(retired.status).toBe(200);
    const ended = await eventually(async () => {
      const r = await requestAt('330106', id);
      expect(r).toMatchObject({ state: 'ended', reason: expect.stringContaining('was retired at 330000') });
      return r;
    }, 20_000);
    expect(ended.history.map((h: Event) => `${h.state} ${h.by}`)).toEqual(expect.arrayContaining(['ended 330000']));
    expect(ended.history.at(-1).note).toMatch(/13 rows returned are kept/);
    expect((await returnedRows(db('330106'), id)).size).toBe(13);
    const atHolder = await requestAt('330000', id);
    expect(atHolder).toMatchObject({ direction: 'incoming', state: 'ended', reason: expect.stringContaining('retired') });
    const jobCount = (await jobsOf('330106', id)).length;
    await sleep(6000);
    const after = await jobsOf('330106', id);
    expect(after).toHaveLength(jobCount);
    expect(after.filter((j) => j.state === 'queued' || j.state === 'running')).toEqual([]);
    expect(await metric('330106', 'tdx_return_requests_ended_total{state="ended",node="330106"}')).toBe(1);

    // Nothing more can be decided on it, and the answer says why.
    const reject = await api(url('330000'), 'POST', `/api/v1/returns/requests/${id}/reject`, { reason: 'too late' });
    expect(reject.status).toBe(422);
    expect(reject.body).toMatchObject({ rule: 'request-ended', message: expect.stringMatching(/was ended on .* by 330000: entry .* was retired/) });
    expect((await api(url('330000'), 'POST', `/api/v1/returns/requests/${id}/revoke`, { reason: 'x' })).body).toMatchObject({ rule: 'request-ended' });
    expect((await api(url('330106'), 'POST', `/api/v1/returns/requests/${id}/sync`)).body).toMatchObject({ statusCode: 422, rule: 'not-granted' });
  }, 90_000);

  it('ends a grant whose entry is no longer shared, in the holder’s listing and at the receiver’s next read', async () => {
    const entryId = await provinceEntry({ updateCycle: 'irregular', name: 'Licences' });
    const id = await requestFrom('330106', entryId);
    await waitForJob(url('330106'), id);
    const changed = await api(url('330000'), 'PATCH', `/api/v1/catalog/entries/${entryId}`, { shareType: 'none', legalBasis: 'Regulation X, Article 7' });
    expect(changed.status).toBe(200);
    const listed = await api(url('330000'), 'GET', '/api/v1/returns/requests?direction=incoming&state=ended');
    expect(listed.body.items.find((r: { id: string }) => r.id === id)).toMatchObject({
      reason: expect.stringContaining('no longer shared: Regulation X, Article 7'),
    });
    expect(await requestAt('330106', id)).toMatchObject({ state: 'ended', reason: expect.stringContaining('Regulation X, Article 7') });
    expect((await returnedRows(db('330106'), id)).size).toBe(12);
  });

  it('revokes a grant with a reason: the next pull is refused for good, and the receiver removes the rows', async () => {
    const entryId = await provinceEntry({ updateCycle: 'irregular', name: 'Permits' });
    const id = await requestFrom('330106', entryId);
    await waitForJob(url('330106'), id);
    expect((await returnedRows(db('330106'), id)).size).toBe(12);

    // Bad input changes nothing; only the holder revokes, and only a grant.
    expect((await api(url('330000'), 'POST', `/api/v1/returns/requests/${id}/revoke`, {})).status).toBe(400);
    expect((await api(url('330000'), 'POST', `/api/v1/returns/requests/${id}/revoke`, { reason: ' ' })).status).toBe(400);
    expect((await api(url('330106'), 'POST', `/api/v1/returns/requests/${id}/revoke`, { reason: 'mine' })).body).toMatchObject({
      statusCode: 422,
      rule: 'revoked-by-holder',
    });
    expect((await requestAt('330000', id)).state).toBe('granted');

    const revoked = await api(url('330000'), 'POST', `/api/v1/returns/requests/${id}/revoke`, { reason: 'purpose no longer covered' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ state: 'revoked', reason: 'purpose no longer covered' });
    expect(revoked.body.history.at(-1)).toMatchObject({ state: 'revoked', by: '330000', note: 'purpose no longer covered' });
    expect((await api(url('330000'), 'POST', `/api/v1/returns/requests/${id}/revoke`, { reason: 'again' })).status).toBe(422);

    // The receiver has not heard of it yet (irregular: no scheduled contact); its next pull is refused.
    const sync = await api(url('330106'), 'POST', `/api/v1/returns/requests/${id}/sync`);
    expect(sync.status).toBe(201);
    const failed = await eventually(async () => {
      const job = (await api(url('330106'), 'GET', `/api/v1/returns/jobs/${sync.body.id}`)).body as Job;
      expect(job).toMatchObject({ state: 'failed', lastError: expect.stringContaining('revoked, not granted: purpose no longer covered') });
      return job;
    });
    expect(failed.attempts).toBe(0);
    const atCounty = await eventually(async () => {
      const r = await requestAt('330106', id);
      expect(r).toMatchObject({ state: 'revoked', reason: 'purpose no longer covered' });
      expect(r.history.at(-1).note).toMatch(/the 12 rows returned were removed/);
      return r;
    });
    expect(atCounty.history.map((h: Event) => h.state)).toEqual(['pending', 'granted', 'transfer', 'transfer', 'revoked', 'transfer']);
    expect((await returnedRows(db('330106'), id)).size).toBe(0);
    await sleep(3000);
    expect(await jobsOf('330106', id)).toHaveLength(2);
    const audit = await db('330106').query(`SELECT outcome, details FROM audit_record WHERE action = 'return.ended' AND target = $1`, [id]);
    expect(audit).toEqual([{ outcome: 'revoked', details: { reason: 'purpose no longer covered', removed: 12 } }]);
  });

  it('withdraws a pending request and a granted one at the requester; both ends show it, the rows are kept', async () => {
    const conditional = await provinceEntry({ updateCycle: 'irregular', name: 'Inspections', shareType: 'conditional', shareCondition: 'for supervision' });
    const pending = await requestFrom('330106', conditional);
    expect((await requestAt('330106', pending)).state).toBe('pending');
    expect((await api(url('330000'), 'POST', `/api/v1/returns/requests/${pending}/withdraw`, {})).body).toMatchObject({
      statusCode: 422,
      rule: 'withdrawn-by-requester',
    });
    expect((await api(url('330106'), 'POST', `/api/v1/returns/requests/${pending}/withdraw`, { reason: '' })).status).toBe(400);
    const withdrawn = await api(url('330106'), 'POST', `/api/v1/returns/requests/${pending}/withdraw`, { reason: 'asked by mistake' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ direction: 'outgoing', state: 'withdrawn', reason: 'asked by mistake' });
    expect(await requestAt('330000', pending)).toMatchObject({ direction: 'incoming', state: 'withdrawn', reason: 'asked by mistake' });
    expect((await requestAt('330000', pending)).history.at(-1)).toMatchObject({ state: 'withdrawn', by: '330106' });
    // The province's operator cannot approve what was withdrawn.
    expect((await api(url('330000'), 'POST', `/api/v1/returns/requests/${pending}/approve`, {})).body).toMatchObject({ rule: 'request-ended' });

    const entryId = await provinceEntry({ updateCycle: 'irregular', name: 'Permits again' });
    const granted = await requestFrom('330106', entryId);
    await waitForJob(url('330106'), granted);
    const ended = await api(url('330106'), 'POST', `/api/v1/returns/requests/${granted}/withdraw`, {});
    expect(ended.body).toMatchObject({ state: 'withdrawn', reason: 'withdrawn by the requester' });
    expect(ended.body.history.at(-1).note).toMatch(/12 rows returned are kept/);
    expect((await returnedRows(db('330106'), granted)).size).toBe(12);
    expect((await api(url('330106'), 'GET', `/api/v1/returns/requests/${granted}/rows?limit=100`)).body.items).toHaveLength(12);
    expect((await api(url('330106'), 'POST', `/api/v1/returns/requests/${granted}/withdraw`, {})).body).toMatchObject({ rule: 'request-ended' });
  });

  it('ends a grant at the receiver when the holder refuses for good without saying it ended', async () => {
    const entryId = await provinceEntry({ updateCycle: 'irregular', name: 'Forgotten register' });
    const id = await requestFrom('330106', entryId);
    await waitForJob(url('330106'), id);
    // The province no longer knows the request as Xihu's (as after restoring an older backup).
    await db('330000').query(`DELETE FROM return_request WHERE id = $1`, [id]);
    const sync = await api(url('330106'), 'POST', `/api/v1/returns/requests/${id}/sync`);
    expect(sync.status).toBe(201);
    const ended = await eventually(async () => {
      const r = await requestAt('330106', id);
      expect(r).toMatchObject({ state: 'ended', reason: expect.stringContaining(`330000 refused for good`) });
      return r;
    });
    expect(ended.reason).toContain(`no return request ${id} from 330106`);
    expect(ended.history.filter((h: Event) => h.state === 'ended')).toEqual([expect.objectContaining({ by: '330106' })]);
    expect((await returnedRows(db('330106'), id)).size).toBe(12);
    expect((await api(url('330106'), 'GET', `/api/v1/returns/jobs/${sync.body.id}`)).body).toMatchObject({ state: 'failed' });
    expect(await metric('330106', 'tdx_return_job_failures_total{holder="330000",kind="permanent",node="330106"}')).toBeGreaterThanOrEqual(1);
    await sleep(2500);
    expect(await jobsOf('330106', id)).toHaveLength(2);
  });

  it("shows Hangzhou its county's requests at the province, read-only, and no other city's", async () => {
    const entryId = await provinceEntry({ updateCycle: 'irregular', name: 'Subtree register' });
    const fromCounty = await requestFrom('330106', entryId);
    const fromCity = await requestFrom('330100', entryId);
    const fromNingbo = await requestFrom('330200', entryId);
    const page = await api(url('330100'), 'GET', '/api/v1/returns/subtree-requests?limit=100');
    expect(page.status).toBe(200);
    const ids = page.body.items.map((r: { id: string }) => r.id);
    expect(ids).toContain(fromCounty);
    expect(ids).not.toContain(fromCity);
    expect(ids).not.toContain(fromNingbo);
    expect(page.body.items.every((r: { requester: string }) => r.requester === '330106')).toBe(true);
    expect(page.body.items.find((r: { id: string }) => r.id === fromCounty)).toMatchObject({ holder: '330000', requester: '330106', state: 'granted' });
    // Every request of Xihu at the province, as the province lists it there.
    const atProvince = await db('330000').query<{ id: string }>(`SELECT id FROM return_request WHERE direction = 'incoming' AND requester = '330106'`);
    expect([...ids].sort()).toEqual(atProvince.map((r) => r.id).sort());
    // Paged by the province's cursor.
    const one = await api(url('330100'), 'GET', '/api/v1/returns/subtree-requests?limit=1');
    expect(one.body.items).toHaveLength(1);
    const two = await api(url('330100'), 'GET', `/api/v1/returns/subtree-requests?limit=100&cursor=${one.body.nextCursor}`);
    expect(two.body.items.map((r: { id: string }) => r.id)).toEqual(ids.slice(1));
    // Ningbo sees none of Hangzhou's; only a city has a subtree view.
    expect((await api(url('330200'), 'GET', '/api/v1/returns/subtree-requests')).body.items).toEqual([]);
    expect((await api(url('330106'), 'GET', '/api/v1/returns/subtree-requests')).body).toMatchObject({ statusCode: 422, rule: 'subtree-view-at-city' });
    expect((await api(url('330000'), 'GET', '/api/v1/returns/subtree-requests')).body).toMatchObject({ statusCode: 422, rule: 'subtree-view-at-city' });
    expect((await api(url('330100'), 'GET', '/api/v1/returns/subtree-requests?cursor=abc')).status).toBe(400);
    // Read-only: the city holds none of them.
    expect(await db('330100').query(`SELECT id FROM return_request WHERE id = $1`, [fromCounty])).toEqual([]);
  });

  it('backs a failing job off exponentially, saying why in the job and in a metric, and resumes when the holder is back', async () => {
    const entryId = await provinceEntry({ updateCycle: 'irregular', name: 'Outage register' });
    const id = await requestFrom('330106', entryId);
    await waitForJob(url('330106'), id);
    await writeSourceRows(db('330000'), entryId, rowsOf('330106', 3, 'late'));
    await nodes['330000'].stop();
    const sync = await api(url('330106'), 'POST', `/api/v1/returns/requests/${id}/sync`);
    expect(sync.status).toBe(201);
    // Each failed attempt as the job shows it: attempts, and the wait until the next.
    const waits = new Map<number, number>();
    const deadline = Date.now() + 20_000;
    while (waits.size < 5 && Date.now() < deadline) {
      const job = (await api(url('330106'), 'GET', `/api/v1/returns/jobs/${sync.body.id}`)).body as Job;
      if (job.attempts > 0 && !waits.has(job.attempts) && job.nextAttemptAt) {
        waits.set(job.attempts, Date.parse(job.nextAttemptAt) - Date.now());
        expect(job).toMatchObject({ state: 'running', lastError: expect.stringMatching(/330000/) });
      }
      await sleep(50);
    }
    const seen = [...waits.entries()].sort((a, b) => a[0] - b[0]);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    // Doubling: each wait is longer than the one before (read up to 50 ms and a request late).
    for (let i = 1; i < seen.length; i++) expect(seen[i][1]).toBeGreaterThan(seen[i - 1][1] + 100);
    expect(seen.at(-1)![1]).toBeGreaterThan(2500);
    expect(await metric('330106', 'tdx_return_job_failures_total{holder="330000",kind="transient",node="330106"}')).toBeGreaterThanOrEqual(4);
    expect(await metric('330106', 'tdx_return_jobs_backing_off{node="330106"}')).toBe(1);

    nodes['330000'] = await federation.start('330000', undefined, {});
    await eventually(
      async () => {
        const job = (await api(url('330106'), 'GET', `/api/v1/returns/jobs/${sync.body.id}`)).body as Job;
        expect(job).toMatchObject({ state: 'done', rowsDone: 3, nextAttemptAt: null });
      },
      60_000,
      200,
    );
    expect(await metric('330106', 'tdx_return_jobs_backing_off{node="330106"}')).toBe(0);
    expect((await returnedRows(db('330106'), id)).size).toBe(15);
  }, 120_000);
});
