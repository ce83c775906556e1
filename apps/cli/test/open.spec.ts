// `tdx open` against a real node (the built service on the real PostgreSQL and NATS), without
// signing in: the open catalog, an entry, and its rows downloaded as CSV and JSON, streamed.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, authHeaders, createTestDatabase, deleteNamespaceStreams, NodeProcess, SHARED_NATS_URL, type TestDatabase, testNamespace } from '@tdx/testing';
import { startNode, tdx, tdxLogin } from './support/tdx';

const namespace = testNamespace();
const dir = mkdtempSync(join(tmpdir(), 'tdx-cli-open-'));
let db: TestDatabase;
let node: NodeProcess;
let openId: string;
let restrictedId: string;
const ROWS = 1500;

beforeAll(async () => {
  db = await createTestDatabase('cli_open');
  node = await startNode({ code: '330000', databaseUrl: db.url, natsNamespace: namespace });
  const inst = (await api(node.url, 'POST', '/api/v1/institutions', { name: 'Market Regulation Bureau', kind: 'government' })).body.id;
  const entry = (overrides: Record<string, unknown>) => ({
    type: 'data',
    name: 'Enterprise register',
    summary: 'Registered enterprises',
    providerId: inst,
    category: 'market-regulation',
    grade: 'L1',
    shareType: 'unconditional',
    openType: 'unconditional',
    updateCycle: 'daily',
    dataItems: [
      { name: 'uscc', type: 'string', sensitive: false },
      { name: 'phone', type: 'string', sensitive: true },
    ],
    ...overrides,
  });
  openId = (await api(node.url, 'POST', '/api/v1/catalog/entries', entry({ name: '开放企业登记' }))).body.id;
  restrictedId = (await api(node.url, 'POST', '/api/v1/catalog/entries', entry({ name: 'Restricted register', grade: 'L2', openType: 'restricted' }))).body.id;
  const csv = ['row_key,region_code,uscc,phone', ...Array.from({ length: ROWS }, (_, i) => `K${String(i).padStart(5, '0')},330106,U${i},13812345678`)].join(
    '\n',
  );
  const uploaded = await fetch(`${node.url}/api/v1/datasets/${openId}/rows`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', ...(await authHeaders(node.url)) },
    body: csv,
  });
  expect(uploaded.status).toBe(200);
});

afterAll(async () => {
  await node?.stop();
  await db?.drop();
  await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
});

describe('tdx open (no sign-in)', () => {
  it('list and show: the open catalog and one entry', async () => {
    const listed = await tdx(['open', 'list', '--node', node.url]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('开放企业登记');
    expect(listed.stdout).toContain('Restricted register');
    const shown = await tdx(['open', 'show', openId, '--node', node.url, '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: openId, openType: 'unconditional' });
  });

  it('get: CSV to standard output and JSON to a file, every row, the sensitive item masked', async () => {
    const csv = await tdx(['open', 'get', openId, '--node', node.url]);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toBe('rowKey,regionCode,uscc,phone');
    expect(lines).toHaveLength(ROWS + 1);
    expect(lines[1]).toBe('K00000,330106,U0,138****5678');
    const file = join(dir, 'rows.json');
    const json = await tdx(['open', 'get', openId, '--format', 'json', '--output', file, '--node', node.url]);
    expect(json.code).toBe(0);
    const rows = JSON.parse(readFileSync(file, 'utf8'));
    expect(rows).toHaveLength(ROWS);
    expect(rows[ROWS - 1]).toEqual({ rowKey: `K0${ROWS - 1}`, regionCode: '330106', data: { uscc: `U${ROWS - 1}`, phone: '138****5678' } });
  });

  it('get: restricted data without an approved application is refused with the rule', async () => {
    const refused = await tdx(['open', 'get', restrictedId, '--node', node.url, '--open-token', 'guess']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/open-restricted-needs-approval|403/);
    expect((await tdx(['open', 'get', 'not-a-uuid', '--node', node.url])).code).not.toBe(0);
  });
});

// Last in this file: it signs tdx in, which the open-data commands above must do without.
describe('tdx search (signed in)', () => {
  it("finds entries of the province's catalog by a Chinese substring and filters, and refuses bad filters before asking", async () => {
    await tdxLogin(node.url);
    const found = await tdx(['search', '企业', '--json', '--node', node.url]);
    expect(found.code).toBe(0);
    const page = JSON.parse(found.stdout);
    expect(page.scope).toBe('province');
    expect(page.items.map((e: { id: string }) => e.id)).toEqual([openId]);
    const restricted = await tdx(['search', 'register', '--open-type', 'restricted', '--node', node.url]);
    expect(restricted.code).toBe(0);
    expect(restricted.stdout).toContain(restrictedId);
    expect(restricted.stdout).not.toContain(openId);
    const none = await tdx(['search', '不存在的资源', '--node', node.url]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('no entries found');
    const bad = await tdx(['search', '企业', '--grade', 'L9', '--node', node.url]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/grade/);
  });
});
