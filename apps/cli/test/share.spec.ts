// The built `tdx share` commands against a real node (the built service on the real PostgreSQL and
// NATS): a province asking for a resource of its own institution, the simplest federation that
// takes every step (request, decision, query, revocation) through the node's channel.
import { api, authHeaders, createTestDatabase, deleteNamespaceStreams, NodeProcess, SHARED_NATS_URL, type TestDatabase, testNamespace } from '@tdx/testing';
import { startNode, tdx, tdxLogin } from './support/tdx';

const namespace = testNamespace();
let db: TestDatabase;
let province: NodeProcess;
let entryId: string;
const json = (stdout: string) => JSON.parse(stdout);
const EXPIRES = new Date(Date.now() + 200 * 86_400_000).toISOString();

beforeAll(async () => {
  db = await createTestDatabase('cli_share');
  province = await startNode({ code: '330000', databaseUrl: db.url, natsNamespace: namespace });
  await tdxLogin(province.url);
  const institution = await api(province.url, 'POST', '/api/v1/institutions', { name: 'Transport Department', kind: 'government' });
  const entry = await api(province.url, 'POST', '/api/v1/catalog/entries', {
    type: 'data',
    name: 'Bus routes',
    summary: 'Routes of the province',
    providerId: institution.body.id,
    category: 'transport',
    grade: 'L2',
    shareType: 'conditional',
    shareCondition: 'planning only',
    openType: 'restricted',
    updateCycle: 'daily',
    dataItems: [
      { name: 'route', type: 'string', sensitive: false },
      { name: 'operator_phone', type: 'string', sensitive: true },
    ],
  });
  entryId = entry.body.id;
  const csv = ['row_key,region_code,route,operator_phone', 'r1,330106,"K1, west",13812345678', 'r2,330212,B2,13900001111', 'r3,330106,K3,13700002222'].join(
    '\n',
  );
  const uploaded = await fetch(`${province.url}/api/v1/datasets/${entryId}/rows`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', ...(await authHeaders(province.url)) },
    body: csv,
  });
  expect(uploaded.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await province?.stop();
  await db?.drop();
  await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
});

describe('tdx share', () => {
  it('requests, approves, queries as a table, JSON and CSV, and revokes; the next query fails', async () => {
    const node = ['--node', province.url];
    const requested = await tdx([
      'share',
      'request',
      '--entry',
      entryId,
      '--items',
      'route,operator_phone',
      '--regions',
      '330106',
      '--purpose',
      'bus planning',
      '--expires',
      EXPIRES,
      '--json',
      ...node,
    ]);
    expect(requested.stderr).toBe('');
    expect(requested.code).toBe(0);
    const id = json(requested.stdout).id as string;
    expect(json(requested.stdout)).toMatchObject({ state: 'requested', provider: '330000', consumer: '330000' });

    const listed = await tdx(['share', 'list', '--direction', 'incoming', '--state', 'requested', ...node]);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+provider\\s+requested`, 'm'));
    const approved = await tdx(['share', 'approve', id, '--reason', 'planning approved', ...node]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/state {5}granted/);
    expect((await api(province.url, 'GET', `/api/v1/shares/${id}`)).body.state).toBe('granted');

    const shown = await tdx(['share', 'show', id, ...node]);
    expect(shown.stdout).toContain('approved at 330000 by user:admin: planning approved');

    const rows = await tdx(['share', 'query', id, '--fields', 'route,operator_phone', ...node]);
    expect(rows.code).toBe(0);
    expect(rows.stdout).toMatch(/^r1\s+330106\s+K1, west\s+138\*\*\*\*5678/m);
    expect(rows.stdout).not.toContain('r2');
    const asJson = json((await tdx(['share', 'query', id, '--fields', 'route', '--json', ...node])).stdout);
    expect(asJson.items).toEqual([
      { rowKey: 'r1', regionCode: '330106', data: { route: 'K1, west' } },
      { rowKey: 'r3', regionCode: '330106', data: { route: 'K3' } },
    ]);
    const asCsv = await tdx(['share', 'query', id, '--fields', 'route', '--csv', ...node]);
    expect(asCsv.stdout).toBe('row_key,region_code,route\nr1,330106,"K1, west"\nr3,330106,K3\n');

    const outside = await tdx(['share', 'query', id, '--fields', 'route', '--regions', '330212', ...node]);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain('region-outside-grant');

    // The whole grant copied into the node, followed until done; then read there, masked as queries are.
    const delivered = await tdx(['share', 'deliver', id, ...node]);
    expect(delivered.code).toBe(0);
    expect(delivered.stdout).toMatch(/delivery \S+ \(full\) done: 2 rows in 1 chunks/);
    const held = json((await tdx(['share', 'rows', id, '--json', ...node])).stdout);
    expect(held.items).toEqual([
      { rowKey: 'r1', regionCode: '330106', data: { route: 'K1, west', operator_phone: '138****5678' } },
      { rowKey: 'r3', regionCode: '330106', data: { route: 'K3', operator_phone: '137****2222' } },
    ]);
    const again = await tdx(['share', 'deliver', id, '--json', ...node]);
    expect(json(again.stdout)).toMatchObject({ kind: 'incremental', state: 'done', rowsDone: 0 });

    expect((await tdx(['share', 'revoke', id, '--reason', 'done', ...node])).code).toBe(0);
    const after = await tdx(['share', 'query', id, '--fields', 'route', ...node]);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/revoked/);
  }, 120_000);

  it('refuses bad arguments before any request', async () => {
    const bad = await tdx([
      'share',
      'request',
      '--entry',
      entryId,
      '--items',
      'route',
      '--regions',
      'west',
      '--purpose',
      'x',
      '--expires',
      EXPIRES,
      '--node',
      province.url,
    ]);
    expect(bad.code).toBe(2);
    expect((await tdx(['share', 'query', 'not-a-uuid', '--fields', 'route', '--node', province.url])).code).toBe(2);
    expect(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM share_request'))[0].n)).toBe(2);
  });
});
