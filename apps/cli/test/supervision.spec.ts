// The built `tdx supervision` commands against a real node (the built service on the real
// PostgreSQL and NATS): what they print in --json is what the API holds, read back through it.
import { api, createTestDatabase, deleteNamespaceStreams, NodeProcess, SHARED_NATS_URL, type TestDatabase, testNamespace } from '@tdx/testing';
import { startNode, tdx, tdxLogin } from './support/tdx';

const namespace = testNamespace();
let db: TestDatabase;
let province: NodeProcess;
const json = (stdout: string) => JSON.parse(stdout);

beforeAll(async () => {
  db = await createTestDatabase('cli_supervision');
  province = await startNode({ code: '330000', databaseUrl: db.url, natsNamespace: namespace });
  await tdxLogin(province.url);
});

afterAll(async () => {
  await province?.stop();
  await db?.drop();
  await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
});

describe('tdx supervision', () => {
  it('runs access supervision, then lists the state it published, the roll-up and the alerts', async () => {
    const run = await tdx(['supervision', 'access-run', '--json', '--node', province.url]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const ran = json(run.stdout);
    expect(ran).toMatchObject({ outcome: 'published', version: expect.any(Number) });

    const states = await tdx(['supervision', 'states', '--topic', 'access', '--json', '--node', province.url]);
    expect(states.code).toBe(0);
    const listed = json(states.stdout);
    expect(listed).toEqual((await api(province.url, 'GET', '/api/v1/supervision/states?topic=access')).body);
    expect(listed.items).toEqual([expect.objectContaining({ origin: '330000', key: 'node', version: ran.version, data: ran.data })]);
    const table = await tdx(['supervision', 'states', '--topic', 'access', '--node', province.url]);
    expect(table.stdout).toMatch(new RegExp(`^330000\\s+access\\s+node\\s+${ran.version}`, 'm'));

    const rollup = await tdx(['supervision', 'access', '--json', '--node', province.url]);
    expect(json(rollup.stdout)).toMatchObject({ node: '330000', within: '330000', totals: { nodes: 1 } });
    const alerts = await tdx(['supervision', 'alerts', '--json', '--node', province.url]);
    expect(json(alerts.stdout)).toEqual({
      within: '330000',
      items: ran.data.alerts.map((a: object) => ({ ...a, origin: '330000', computedAt: expect.any(String) })),
    });
  });

  it('refuses a bad topic or division before any request, and says why the node refuses one outside its jurisdiction', async () => {
    expect((await tdx(['supervision', 'states', '--topic', 'weather', '--node', province.url])).code).toBe(2);
    expect((await tdx(['supervision', 'states', '--topic', 'access', '--within', '3301', '--node', province.url])).code).toBe(2);
    const outside = await tdx(['supervision', 'states', '--topic', 'access', '--within', '110000', '--node', province.url]);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain('outside the jurisdiction');
  });
});
