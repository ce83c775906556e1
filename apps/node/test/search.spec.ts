import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { api, eventually, testNamespace } from '@tdx/testing';
import { Channel } from '../src/channel/channel';
import { DomainRefusal } from '../src/common/domain-refusal';
import { inProcessFederation } from './support/nodes';
import { awaitTrustLists } from './support/replication';
import { sampleEntry, sampleInstitution } from './support/samples';

interface Found {
  id: string;
  name: string;
  origin: string;
}
interface SearchPage {
  items: Found[];
  nextCursor: string | null;
  scope: 'province' | 'subtree';
}

/**
 * Province-wide search: the province (330000) answers from its own database; Xihu (330106, a
 * county of Hangzhou) asks it through the channel, and answers from its own subtree while the
 * province is stopped.
 */
describe('province-wide search', () => {
  const namespace = testNamespace();
  const federation = inProcessFederation(namespace, 'search', mkdtempSync(join(tmpdir(), 'tdx-search-')));
  const env = { CHANNEL_TIMEOUT_MS: '1500' };
  const url = (code: string) => federation.running.get(code)!.url;
  const channelOf = (code: string) => (federation.running.get(code) as unknown as { app: INestApplication }).app.get(Channel);
  const ids: Record<string, string> = {};
  let provinceInstitution: string;

  async function register(code: string, institution: string, name: string, overrides: Record<string, unknown> = {}): Promise<string> {
    const response = await api(url(code), 'POST', '/api/v1/catalog/entries', sampleEntry(institution, { name, ...overrides }));
    expect(response.status).toBe(201);
    return response.body.id as string;
  }

  async function search(code: string, query: string): Promise<SearchPage> {
    const response = await api<SearchPage>(url(code), 'GET', `/api/v1/search?${query}`);
    expect(response.status).toBe(200);
    return response.body;
  }

  const names = (page: SearchPage) => page.items.map((e) => e.name).sort();

  beforeAll(async () => {
    await federation.start('330000', undefined, env);
    await federation.start('330100', '330000', env);
    await federation.start('330106', '330100', env);
    await awaitTrustLists(['330000', '330100', '330106'].map(url), ['330000', '330100', '330106']);
    provinceInstitution = (await api(url('330000'), 'POST', '/api/v1/institutions', sampleInstitution('省市场监督管理局'))).body.id;
    ids.register = await register('330000', provinceInstitution, '企业登记信息', { summary: 'Enterprise REGISTER of the province' });
    ids.tax = await register('330000', provinceInstitution, '纳税人名录', {
      summary: '税务登记的纳税人',
      category: 'tax',
      grade: 'L2',
      shareType: 'conditional',
      shareCondition: '仅限税务稽查',
      openType: 'restricted',
      dataItems: [{ name: '统一社会信用代码', type: 'string', sensitive: false }],
    });
    ids.app = await register('330000', provinceInstitution, '政务服务应用', { type: 'application', summary: '一网通办', openType: 'prohibited' });
    const xihuInstitution = (await api(url('330106'), 'POST', '/api/v1/institutions', sampleInstitution('西湖区民政局'))).body.id;
    ids.xihu = await register('330106', xihuInstitution, '西湖区养老服务机构', { summary: '养老机构名录' });
    // The county's entry reaches the province by upward replication.
    await eventually(async () => expect(names(await search('330000', 'q=养老'))).toEqual(['西湖区养老服务机构']));
  });

  afterAll(async () => {
    for (const node of federation.running.values()) await node.stop().catch(() => undefined);
    for (const db of federation.databases.values()) await db.drop();
  });

  it('finds Chinese by substring, any part of a word, and ASCII whatever its case', async () => {
    expect(names(await search('330000', `q=${encodeURIComponent('企业')}`))).toEqual(['企业登记信息']);
    expect(names(await search('330000', `q=${encodeURIComponent('登记')}`))).toEqual(['企业登记信息', '纳税人名录']);
    expect(names(await search('330000', `q=${encodeURIComponent('业登记信')}`))).toEqual(['企业登记信息']);
    // Characters present but not in this order: not a match.
    expect(names(await search('330000', `q=${encodeURIComponent('业企')}`))).toEqual([]);
    // One character; a data item's name; two words, both required.
    expect(names(await search('330000', `q=${encodeURIComponent('税')}`))).toEqual(['纳税人名录']);
    expect(names(await search('330000', `q=${encodeURIComponent('信用代码')}`))).toEqual(['纳税人名录']);
    expect(names(await search('330000', `q=${encodeURIComponent('登记 纳税')}`))).toEqual(['纳税人名录']);
    expect(names(await search('330000', 'q=eNtErPrIsE%20register'))).toEqual(['企业登记信息']);
    // LIKE wildcards are taken literally.
    expect(names(await search('330000', 'q=%25'))).toEqual([]);
    expect((await search('330000', 'q=REGISTER')).scope).toBe('province');
  });

  it('filters by every field it offers', async () => {
    expect(names(await search('330000', 'type=application'))).toEqual(['政务服务应用']);
    expect(names(await search('330000', 'category=tax'))).toEqual(['纳税人名录']);
    expect(names(await search('330000', 'grade=L2'))).toEqual(['纳税人名录']);
    expect(names(await search('330000', 'shareType=conditional'))).toEqual(['纳税人名录']);
    expect(names(await search('330000', 'openType=prohibited'))).toEqual(['政务服务应用']);
    expect(names(await search('330000', `providerId=${provinceInstitution}`))).toEqual(['企业登记信息', '政务服务应用', '纳税人名录']);
    expect(names(await search('330000', 'origin=330106'))).toEqual(['西湖区养老服务机构']);
    expect(names(await search('330000', 'openToPublic=true'))).toEqual(['企业登记信息', '纳税人名录', '西湖区养老服务机构']);
    expect(await api(url('330000'), 'DELETE', `/api/v1/catalog/entries/${ids.app}`)).toMatchObject({ status: 200 });
    expect(names(await search('330000', 'type=application'))).toEqual([]);
    expect(names(await search('330000', 'type=application&status=retired'))).toEqual(['政务服务应用']);
  });

  it('refuses bad input with a 400 naming the field', async () => {
    for (const query of [
      'grade=L9',
      'limit=0',
      'limit=abc',
      'providerId=x',
      'origin=12',
      'openToPublic=yes',
      'cursor=%2F%2F',
      'q=',
      'unknown=1',
      'cursor=AAAA',
    ]) {
      const response = await api(url('330000'), 'GET', `/api/v1/search?${query}`);
      expect([query, response.status]).toEqual([query, 400]);
    }
    expect((await api(url('330000'), 'GET', '/api/v1/search/entries/not-a-uuid')).status).toBe(400);
    expect((await api(url('330000'), 'GET', '/api/v1/search/entries/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('pages without repeating or skipping an entry while entries are being added', async () => {
    const before = (await search('330000', 'q=%E6%89%B9%E9%87%8F&limit=500')).items.length;
    expect(before).toBe(0);
    const first = await api(url('330000'), 'POST', '/api/v1/catalog/entries/bulk', {
      entries: Array.from({ length: 12 }, (_, i) => sampleEntry(provinceInstitution, { name: `批量目录${i}` })),
    });
    expect(first.status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    let added = 0;
    do {
      const page: SearchPage = await search('330000', `q=${encodeURIComponent('批量')}&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((e) => e.name));
      cursor = page.nextCursor;
      if (added < 2) {
        await register('330000', provinceInstitution, `批量目录新${added++}`);
      }
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const all = [...Array.from({ length: 12 }, (_, i) => `批量目录${i}`), '批量目录新0', '批量目录新1'];
    expect(seen.sort()).toEqual(all.sort());
  });

  it('answers a county from the province through the channel', async () => {
    const page = await search('330106', `q=${encodeURIComponent('企业')}`);
    expect(page).toMatchObject({ scope: 'province' });
    expect(names(page)).toEqual(['企业登记信息']);
    const entry = await api(url('330106'), 'GET', `/api/v1/search/entries/${ids.register}`);
    expect(entry).toMatchObject({ status: 200, body: { id: ids.register, origin: '330000' } });
  });

  it("refuses hostile 'catalog.search' and 'catalog.entry' bodies at the province", async () => {
    const channel = channelOf('330106');
    const hostile: unknown[] = [
      '企业',
      [],
      null,
      42,
      { limit: 'all' },
      { limit: 100000 },
      { q: { $ne: 1 } },
      { q: 'x'.repeat(201) },
      { drop: 'table' },
      { grade: "L1' OR 1=1" },
      { q: 'a\u0000b' },
      { cursor: 'x'.repeat(100) },
    ];
    for (const body of hostile) {
      await expect(channel.ask('330000', 'catalog.search', body)).rejects.toBeInstanceOf(DomainRefusal);
    }
    for (const body of [{ id: 'x' }, { id: ids.register, more: 1 }, 'id']) {
      await expect(channel.ask('330000', 'catalog.entry', body)).rejects.toBeInstanceOf(DomainRefusal);
    }
  });

  it("answers from the county's own subtree, saying so, while the province is stopped", async () => {
    await federation.running.get('330000')!.stop();
    const page = await search('330106', `q=${encodeURIComponent('养老')}`);
    expect(page).toMatchObject({ scope: 'subtree' });
    expect(names(page)).toEqual(['西湖区养老服务机构']);
    expect(names(await search('330106', `q=${encodeURIComponent('企业')}`))).toEqual([]);
    // An entry held here is still shown; one only the province knows is a 503 naming it.
    expect((await api(url('330106'), 'GET', `/api/v1/search/entries/${ids.xihu}`)).status).toBe(200);
    const unknown = await api(url('330106'), 'GET', `/api/v1/search/entries/${ids.register}`);
    expect(unknown.status).toBe(503);
    expect(JSON.stringify(unknown.body)).toContain('330000');
  });
});
