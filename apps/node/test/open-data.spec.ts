import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { anonymous, api, apiOk, eventually, testNamespace } from '@tdx/testing';
import { Channel } from '../src/channel/channel';
import { maskPlan } from '../src/datasets/masking';
import { oracleMaskRow } from './support/masking-oracle';
import { inProcessFederation } from './support/nodes';
import { awaitTrustLists } from './support/replication';
import { sourceRowsIn, writeSourceRows } from './support/returns';
import { sampleEntry, sampleInstitution } from './support/samples';

const CODES = ['330000', '330100', '330200', '330106'];
const ITEMS = [
  { name: 'uscc', type: 'string', sensitive: false },
  { name: 'legal_person_id', type: 'string', sensitive: true },
];

/**
 * Open data (Article 10) registered at Ningbo and served to the anonymous public at other nodes
 * (Xihu, a county of Hangzhou, and the province), its rows fetched from Ningbo through the channel: masked, as CSV and JSON, and
 * never for prohibited or L4 entries; restricted data only with an approved application.
 */
describe('open data at any node', () => {
  const namespace = testNamespace();
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-open-'));
  const federation = inProcessFederation(namespace, 'open', keyDir);
  const url = (code: string) => federation.running.get(code)!.url;
  const db = (code: string) => federation.databases.get(code)!;
  const entries: Record<'open' | 'restricted' | 'prohibited' | 'l4', { id: string; code: string }> = {} as never;

  async function get(base: string, path: string, token?: string): Promise<Response> {
    return fetch(`${base}${path}`, { headers: token ? { 'x-open-token': token } : {} });
  }

  beforeAll(async () => {
    await federation.start('330000', undefined, { PUBLIC_RATE_LIMIT: '100000', CHANNEL_TIMEOUT_MS: '1500' });
    await federation.start('330100', '330000', { PUBLIC_RATE_LIMIT: '3', PUBLIC_RATE_WINDOW_SECONDS: '600' });
    await federation.start('330200', '330000', { PUBLIC_RATE_LIMIT: '100000' });
    await federation.start('330106', '330100', { PUBLIC_RATE_LIMIT: '100000', CHANNEL_TIMEOUT_MS: '1500' });
    await awaitTrustLists(CODES.map(url), CODES);
    const ningbo = url('330200');
    const inst = (await apiOk(ningbo, 'POST', '/api/v1/institutions', sampleInstitution())).body.id;
    const register = async (name: string, overrides: Record<string, unknown>) =>
      (await apiOk(ningbo, 'POST', '/api/v1/catalog/entries', sampleEntry(inst, { name, regionScope: '330200', dataItems: ITEMS, ...overrides }))).body;
    entries.open = await register('Open enterprises', {});
    entries.restricted = await register('Restricted enterprises', { grade: 'L2', openType: 'restricted' });
    entries.prohibited = await register('Prohibited enterprises', { openType: 'prohibited' });
    entries.l4 = await register('L4 enterprises', { grade: 'L4', openType: 'prohibited' });
    for (const e of Object.values(entries)) {
      const rows = Array.from({ length: 2500 }, (_, i) => ({
        key: `k${String(i).padStart(5, '0')}`,
        region: i % 2 ? '330203' : '330212',
        data: {
          uscc: i === 7 ? '=HYPERLINK("http://x","y")' : `91330200MA${i}, "co"`,
          legal_person_id: `33020319900101${String(1000 + (i % 9000)).slice(-4)}`,
        },
      }));
      await writeSourceRows(db('330200'), e.id, rows);
    }
    // The province holds Ningbo's entries (replication upward).
    await eventually(async () => {
      const held = await db('330000').query<{ n: string }>(`SELECT count(*) AS n FROM catalog_entry WHERE origin = '330200'`);
      expect(Number(held[0].n)).toBe(4);
    });
  });

  afterAll(async () => {
    for (const node of federation.running.values()) await node.stop().catch(() => undefined);
    for (const d of federation.databases.values()) await d.drop().catch(() => undefined);
  });

  /** What the public should get, by the test's own SQL at the origin and the masking oracle. */
  async function expectedRows(entryId: string, grade: 'L1' | 'L2') {
    const plan = maskPlan(grade, ITEMS);
    const held = await sourceRowsIn(db('330200'), entryId, 'true');
    return [...held].map(([rowKey, r]) => ({ rowKey, regionCode: r.region, data: oracleMaskRow(r.data, plan) }));
  }

  async function allPages(base: string, entryId: string, token?: string): Promise<unknown[]> {
    const rows: unknown[] = [];
    let cursor: string | null = null;
    do {
      const answer: Response = await get(base, `/api/v1/open/entries/${entryId}/rows?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, token);
      expect(answer.status).toBe(200);
      const page = (await answer.json()) as { items: unknown[]; nextCursor: string | null };
      rows.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return rows;
  }

  it('lists open and restricted entries to the public, never prohibited or L4 ones, and shows only those', async () => {
    const listed = await anonymous(url('330000'), 'GET', '/api/v1/open/catalog?limit=500');
    expect(listed.status).toBe(200);
    const ids = listed.body.items.map((e: { id: string }) => e.id);
    expect(ids).toEqual(expect.arrayContaining([entries.open.id, entries.restricted.id]));
    expect(ids).not.toContain(entries.prohibited.id);
    expect(ids).not.toContain(entries.l4.id);
    expect(['province', 'subtree']).toContain(listed.body.scope);
    expect(listed.body.items[0]).not.toHaveProperty('providerId');
    // At a county of another city: the whole province's open catalog, through the province.
    const atXihu = await anonymous(url('330106'), 'GET', '/api/v1/open/catalog?limit=500');
    expect(atXihu).toMatchObject({ status: 200, body: { scope: 'province' } });
    const xihuIds = atXihu.body.items.map((e: { id: string }) => e.id);
    expect(xihuIds).toEqual(expect.arrayContaining([entries.open.id, entries.restricted.id]));
    expect(xihuIds).not.toContain(entries.prohibited.id);
    expect(xihuIds).not.toContain(entries.l4.id);
    expect((await anonymous(url('330106'), 'GET', `/api/v1/open/entries/${entries.open.id}`)).body).toMatchObject({ id: entries.open.id, origin: '330200' });
    expect(await anonymous(url('330106'), 'GET', `/api/v1/open/entries/${entries.l4.id}`)).toMatchObject({ status: 422, body: { rule: 'open-l4-never' } });
    expect((await anonymous(url('330000'), 'GET', `/api/v1/open/entries/${entries.open.id}`)).body).toMatchObject({ id: entries.open.id, origin: '330200' });
    expect(await anonymous(url('330000'), 'GET', `/api/v1/open/entries/${entries.prohibited.id}`)).toMatchObject({
      status: 422,
      body: { rule: 'open-prohibited' },
    });
    expect(await anonymous(url('330000'), 'GET', `/api/v1/open/entries/${entries.l4.id}`)).toMatchObject({ status: 422, body: { rule: 'open-l4-never' } });
  });

  it("serves an unconditional entry's rows at Xihu and the province, fetched from Ningbo, masked exactly as the oracle says", async () => {
    const expected = await expectedRows(entries.open.id, 'L1');
    expect(expected).toHaveLength(2500);
    expect(await allPages(url('330106'), entries.open.id)).toEqual(expected);
    expect(await allPages(url('330000'), entries.open.id)).toEqual(expected);
    expect(await allPages(url('330200'), entries.open.id)).toEqual(expected);
    // Each page that crossed is in the audit log at both ends.
    await eventually(async () => {
      const atOrigin = await db('330200').query<{ n: string }>(
        `SELECT count(*) AS n FROM audit_record WHERE action = 'open.rows' AND actor = 'node:330000' AND target = $1 AND outcome = 'served'`,
        [entries.open.id],
      );
      expect(Number(atOrigin[0].n)).toBeGreaterThanOrEqual(3);
      const atAsker = await db('330000').query<{ n: string }>(`SELECT count(*) AS n FROM audit_record WHERE action = 'open.rows to 330200' AND target = $1`, [
        entries.open.id,
      ]);
      expect(Number(atAsker[0].n)).toBeGreaterThanOrEqual(3);
    });
  });

  it('streams JSON and CSV downloads that parse back to the same rows, formula cells defused', async () => {
    const expected = await expectedRows(entries.open.id, 'L1');
    const json = await get(url('330106'), `/api/v1/open/entries/${entries.open.id}/download?format=json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/application\/json/);
    expect(JSON.parse(await json.text())).toEqual(expected);
    const csv = await get(url('330000'), `/api/v1/open/entries/${entries.open.id}/download?format=csv`);
    expect(csv.status).toBe(200);
    const records = parseCsv(await csv.text());
    expect(records[0]).toEqual(['rowKey', 'regionCode', 'uscc', 'legal_person_id']);
    const back = records
      .slice(1)
      .map(([rowKey, regionCode, uscc, id]) => ({ rowKey, regionCode, data: { uscc: uscc.replace(/^'(?=[=+\-@])/, ''), legal_person_id: id } }));
    expect(back).toEqual(expected);
    expect(records[8][2]).toBe(`'=HYPERLINK("http://x","y")`);
  });

  it('never serves prohibited or L4 data by any path, nor takes applications for them', async () => {
    for (const e of [entries.prohibited, entries.l4]) {
      for (const path of [`/api/v1/open/entries/${e.id}/rows`, `/api/v1/open/entries/${e.id}/download?format=json`]) {
        for (const node of ['330106', '330000', '330200']) expect((await get(url(node), path)).status).toBe(422);
      }
      const applied = await anonymous(url('330000'), 'POST', '/api/v1/open/applications', application(e.id));
      expect(applied.status).toBe(422);
    }
    // Asked directly over the channel, the origin refuses them too.
    const channel = (federation.running.get('330000') as unknown as { app: INestApplication }).app.get(Channel);
    for (const e of [entries.prohibited, entries.l4]) {
      await expect(channel.ask('330200', 'open.rows', { entryId: e.id, limit: 10 })).rejects.toMatchObject({ kind: 'refused' });
    }
    expect(await applicationCount()).toBe(0);
  });

  it('refuses restricted rows without an approved application, at the node and at the origin over a crafted open.rows', async () => {
    expect((await get(url('330000'), `/api/v1/open/entries/${entries.restricted.id}/rows`)).status).toBe(403);
    expect((await get(url('330000'), `/api/v1/open/entries/${entries.restricted.id}/download`, 'not-a-token')).status).toBe(403);
    const channel = (federation.running.get('330000') as unknown as { app: INestApplication }).app.get(Channel);
    await expect(channel.ask('330200', 'open.rows', { entryId: entries.restricted.id, limit: 10, token: 'forged' })).rejects.toMatchObject({
      kind: 'forbidden',
      rule: 'open-restricted-needs-approval',
    });
    await expect(channel.ask('330200', 'open.rows', { entryId: entries.restricted.id, limit: 10_000_000, extra: 1 })).rejects.toMatchObject({
      kind: 'invalid',
    });
  });

  it('takes an anonymous application at the province, delivers it to Ningbo, and serves restricted data once approved', async () => {
    const created = await anonymous(url('330000'), 'POST', '/api/v1/open/applications', application(entries.restricted.id));
    expect(created.status).toBe(201);
    const { application: made, token } = created.body;
    expect(made).toMatchObject({ state: 'pending', origin: '330200', appliedAt: '330000' });
    const stored = await db('330000').query<{ token_hash: string }>(`SELECT token_hash FROM open_application WHERE id = $1`, [made.id]);
    expect(stored[0].token_hash).not.toContain(token);
    // Pending: still refused.
    expect((await get(url('330000'), `/api/v1/open/entries/${entries.restricted.id}/rows`, token)).status).toBe(403);
    await eventually(async () => {
      const listed = await api(url('330200'), 'GET', '/api/v1/open-applications?state=pending');
      expect(listed.body.items.map((a: { id: string }) => a.id)).toContain(made.id);
    });
    const approved = await api(url('330200'), 'POST', `/api/v1/open-applications/${made.id}/approve`, { days: 30 });
    expect(approved).toMatchObject({ status: 200, body: { state: 'approved' } });
    expect((await api(url('330200'), 'POST', `/api/v1/open-applications/${made.id}/reject`, { reason: 'again' })).status).toBe(409);
    await eventually(async () => {
      const seen = (await (await get(url('330000'), `/api/v1/open/applications/${made.id}`, token)).json()) as { expiresAt?: string };
      expect(seen).toMatchObject({ state: 'approved' });
      expect(seen.expiresAt).toBeTruthy();
    });
    expect((await get(url('330000'), `/api/v1/open/applications/${made.id}`, 'wrong')).status).toBe(404);
    expect(await allPages(url('330000'), entries.restricted.id, token)).toEqual(await expectedRows(entries.restricted.id, 'L2'));
    // The token opens the data at any node, for this entry only.
    expect(await allPages(url('330106'), entries.restricted.id, token)).toEqual(await expectedRows(entries.restricted.id, 'L2'));
    // The token opens this entry only.
    await expect(
      (federation.running.get('330000') as unknown as { app: INestApplication }).app
        .get(Channel)
        .ask('330200', 'open.rows', { entryId: entries.prohibited.id, limit: 10, token }),
    ).rejects.toMatchObject({ kind: 'refused' });
  });

  it('refuses hostile applications and parameters with a 4xx, storing nothing', async () => {
    const before = await applicationCount();
    const base = url('330000');
    for (const body of [
      {},
      { ...application(entries.restricted.id), extra: 1 },
      { ...application(entries.restricted.id), applicantName: ' ' },
      { ...application(entries.restricted.id), contact: 'a\nb' },
      { ...application(entries.restricted.id), purpose: 'x'.repeat(5000) },
      { ...application('not-a-uuid') },
    ]) {
      expect((await anonymous(base, 'POST', '/api/v1/open/applications', body)).status).toBe(400);
    }
    expect((await anonymous(base, 'POST', '/api/v1/open/applications', application('00000000-0000-4000-8000-000000000000'))).status).toBe(404);
    expect(await anonymous(base, 'POST', '/api/v1/open/applications', application(entries.open.id))).toMatchObject({
      status: 422,
      body: { rule: 'open-no-application-needed' },
    });
    for (const path of [
      `/api/v1/open/entries/not-a-uuid/rows`,
      `/api/v1/open/entries/${entries.open.id}/rows?limit=0`,
      `/api/v1/open/entries/${entries.open.id}/rows?limit=5000`,
      `/api/v1/open/entries/${entries.open.id}/rows?cursor=bogus`,
      `/api/v1/open/entries/${entries.open.id}/download?format=xml`,
    ]) {
      expect((await get(base, path)).status).toBe(400);
    }
    expect(await applicationCount()).toBe(before);
  });

  it('answers 429 past the public rate limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(url('330100'), `/api/v1/open/entries/${entries.open.id}`)).status);
    expect(statuses.slice(0, 3).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(3)).toEqual([429, 429]);
  });

  // Last: it stops Ningbo.
  it("answers 503 naming the origin when the origin cannot be reached, within the channel's timeout", async () => {
    await federation.running.get('330200')!.stop();
    const started = Date.now();
    const answer = await get(url('330106'), `/api/v1/open/entries/${entries.open.id}/rows`);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ node: '330200', message: expect.stringContaining('330200') });
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  function application(entryId: string) {
    return {
      entryId,
      applicantName: '张三',
      organisation: 'Zhejiang University',
      contact: 'zhang@example.org',
      purpose: 'research on enterprise registration',
    };
  }

  async function applicationCount(): Promise<number> {
    let n = 0;
    for (const code of ['330000', '330200']) n += Number((await db(code).query<{ n: string }>(`SELECT count(*) AS n FROM open_application`))[0].n);
    return n;
  }
});

/** RFC 4180 records (quoted fields with doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  return records;
}
