import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  api,
  apiOk,
  createTestDatabase,
  deleteNamespaceStreams,
  eventually,
  NodeProcess,
  SHARED_NATS_URL,
  TEST_ADMIN_PASSWORD,
  TestDatabase,
  testNamespace,
  waitForTrustList,
} from '@tdx/testing';

const run = promisify(execFile);
const DEMO_ROWS = resolve(__dirname, 'demo-rows.mjs');

interface DatasetDefinition {
  rows: number;
  entry: { code: string; provider: string; grade: string; shareType: string; dataItems: { name: string; sensitive: boolean }[] } & Record<string, unknown>;
}

/** Runs `body` in a Node process that has imported the demo's module as `m` (it is an ES module; jest runs CommonJS). */
async function withDemoRows(body: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `import * as m from ${JSON.stringify(DEMO_ROWS)};\n${body}`], {
    cwd: resolve(__dirname, '..'),
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/**
 * The demo's sample dataset rows, loaded by the demo's own code into a real province, and a county
 * of a real province-city-county federation asking for a return of them at once: its own region's
 * rows come back, masked by grade.
 */
describe('demo sample rows', () => {
  const namespace = testNamespace();
  const databases: TestDatabase[] = [];
  const nodes: NodeProcess[] = [];
  let definitions: DatasetDefinition[];
  let perRegion: Record<string, Record<string, number>>;
  const ids = new Map<string, string>();

  async function start(code: string, parentCode?: string): Promise<NodeProcess> {
    const db = await createTestDatabase(`demo_rows_${code}`);
    databases.push(db);
    const node = await NodeProcess.start({ code, parentCode, databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
    nodes.push(node);
    return node;
  }

  beforeAll(async () => {
    definitions = JSON.parse(await withDemoRows('console.log(JSON.stringify(m.DATASET_ENTRIES))'));
    perRegion = JSON.parse(
      await withDemoRows('console.log(JSON.stringify(Object.fromEntries(m.DATASET_ENTRIES.map((d) => [d.entry.code, m.sampleRows(d.entry.code).perRegion]))))'),
    );
    const province = await start('330000');
    const city = await start('330100', '330000');
    const county = await start('330106', '330100');
    await Promise.all([city.waitJoined(), county.waitJoined()]);
    const providers: Record<string, string> = {};
    for (const key of new Set(definitions.map((d) => d.entry.provider))) {
      providers[key] = (await apiOk(province.url, 'POST', '/api/v1/institutions', { name: `provider ${key}`, kind: 'government' })).body.id;
    }
    for (const { entry } of definitions) {
      const { provider, ...fields } = entry;
      ids.set(entry.code, (await apiOk(province.url, 'POST', '/api/v1/catalog/entries', { ...fields, providerId: providers[provider] })).body.id);
    }
  }, 120_000);

  afterAll(async () => {
    for (const node of nodes.reverse()) await node.stop().catch(() => undefined);
    for (const db of databases) await db.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  it('makes a few thousand rows in several counties of both cities, with sensitive items at several grades', () => {
    const total = definitions.reduce((sum, d) => sum + d.rows, 0);
    expect(total).toBeGreaterThanOrEqual(3000);
    const regions = new Set(Object.values(perRegion).flatMap((counts) => Object.keys(counts)));
    expect(regions.size).toBeGreaterThanOrEqual(5);
    expect([...regions].some((r) => r.startsWith('3301')) && [...regions].some((r) => r.startsWith('3302'))).toBe(true);
    expect(regions).toContain('330106');
    const graded = definitions.filter((d) => d.entry.dataItems.some((i) => i.sensitive)).map((d) => d.entry.grade);
    expect(new Set(graded).size).toBeGreaterThanOrEqual(3);
    expect(definitions.some((d) => d.entry.shareType === 'unconditional' && d.entry.grade !== 'L1')).toBe(true);
  });

  it("loads through the demo's own loader, by region as made, and a re-run changes nothing", async () => {
    const province = nodes[0];
    const load = async () =>
      JSON.parse(
        await withDemoRows(
          `const { signInAs } = await import('@tdx/testing');
           signInAs(${JSON.stringify(province.url)}, 'admin', ${JSON.stringify(TEST_ADMIN_PASSWORD)});
           const ids = ${JSON.stringify(Object.fromEntries(ids))};
           const out = [];
           for (const d of m.DATASET_ENTRIES) out.push(await m.loadSampleRows(${JSON.stringify(province.url)}, { code: d.entry.code, id: ids[d.entry.code] }));
           console.log(JSON.stringify(out));`,
        ),
      ) as { rowsRead: number; inserted: number; unchanged: number }[];
    const first = await load();
    expect(first.map((r) => [r.rowsRead, r.inserted])).toEqual(definitions.map((d) => [d.rows, d.rows]));
    for (const { entry } of definitions) {
      const { body } = await apiOk(province.url, 'GET', `/api/v1/datasets/${ids.get(entry.code)}`);
      expect(Object.fromEntries(body.regions.map((r: { regionCode: string; rows: number }) => [r.regionCode, r.rows]))).toEqual(perRegion[entry.code]);
    }
    const again = await load();
    expect(again.map((r) => r.unchanged)).toEqual(definitions.map((d) => d.rows));
  });

  it('lets a county ask for a return at once and get its own rows, masked', async () => {
    const [province, , county] = nodes;
    await waitForTrustList(county.url, ['330000', '330100', '330106']);
    const l2 = definitions.find((d) => d.entry.grade === 'L2' && d.entry.shareType === 'unconditional') as DatasetDefinition;
    const asked = await api(county.url, 'POST', '/api/v1/returns/requests', {
      entryId: ids.get(l2.entry.code),
      holder: '330000',
      scope: 'self',
      purpose: 'trying the demo',
    });
    expect([asked.status, asked.body.state]).toEqual([201, 'granted']);
    let rows: { rowKey: string; regionCode: string; data: Record<string, unknown> }[] = [];
    await eventually(async () => {
      const page = await apiOk(county.url, 'GET', `/api/v1/returns/requests/${asked.body.id}/rows?limit=1000`);
      rows = page.body.items;
      expect(rows.length).toBe(perRegion[l2.entry.code]['330106']);
    }, 60_000);
    expect(new Set(rows.map((r) => r.regionCode))).toEqual(new Set(['330106']));
    const sensitive = l2.entry.dataItems.filter((i) => i.sensitive && i.name !== '出生年份').map((i) => i.name);
    const { body: source } = await apiOk(province.url, 'GET', `/api/v1/datasets/${ids.get(l2.entry.code)}/rows?region=330106&limit=5`);
    for (const original of source.items as { rowKey: string; data: Record<string, string> }[]) {
      const returned = rows.find((r) => r.rowKey === original.rowKey) as (typeof rows)[number];
      for (const name of sensitive) {
        expect(returned.data[name]).toEqual(expect.stringContaining('*'));
        expect(returned.data[name]).not.toBe(original.data[name]);
      }
    }
  });
});
