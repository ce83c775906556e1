// The built `tdx supervision` and `tdx resources` commands against a real province node (the built
// service on the real PostgreSQL and NATS): what they print is what the API holds, read back through it.
import { api, apiOk, createTestDatabase, deleteNamespaceStreams, NodeProcess, SHARED_NATS_URL, type TestDatabase, testNamespace } from '@tdx/testing';
import { startNode, tdx, tdxLogin } from './support/tdx';

const namespace = testNamespace();
let db: TestDatabase;
let province: NodeProcess;
const json = (stdout: string) => JSON.parse(stdout);
const YEAR = new Date().getUTCFullYear();

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

describe('tdx supervision scorecard', () => {
  it('prints the scorecard of every division as the API answers it, as JSON, a table or the CSV export', async () => {
    const fromApi = (await apiOk(province.url, 'GET', `/api/v1/supervision/assessment?year=${YEAR}`)).body;
    const json = await tdx(['supervision', 'scorecard', '--year', String(YEAR), '--json', '--node', province.url]);
    expect(json.code).toBe(0);
    const printed = JSON.parse(json.stdout);
    expect(printed.divisions).toEqual(fromApi.divisions);
    expect(printed.divisions).toHaveLength(102);
    const text = await tdx(['supervision', 'scorecard', '--year', String(YEAR), '--node', province.url]);
    expect(text.stdout).toMatch(/^330106\s+西湖区\s+-\s+0\/6/m);
    const csv = await tdx(['supervision', 'scorecard', '--year', String(YEAR), '--csv', '--node', province.url]);
    expect(csv.stdout.trimEnd().split('\r\n')).toHaveLength(103);
    const bad = await tdx(['supervision', 'scorecard', '--year', 'next', '--node', province.url]);
    expect(bad.code).toBe(2);
  });
});

describe('tdx resources show', () => {
  it("shows a compute resource's capacity and allocations as the API holds them", async () => {
    const inst = (await apiOk(province.url, 'POST', '/api/v1/institutions', { name: 'Big Data Bureau', kind: 'government' })).body.id;
    const entry = (
      await apiOk(province.url, 'POST', '/api/v1/catalog/entries', {
        type: 'compute',
        name: 'Province cloud',
        summary: 'compute',
        providerId: inst,
        category: 'infrastructure',
        grade: 'L1',
        shareType: 'unconditional',
        openType: 'prohibited',
        updateCycle: 'irregular',
      })
    ).body;
    await apiOk(province.url, 'PUT', `/api/v1/resources/${entry.id}/capacity`, { vcpu: 64, memoryGiB: 512, storageTiB: 10 });
    await apiOk(
      province.url,
      'POST',
      `/api/v1/resources/${entry.id}/allocations`,
      { institutionId: inst, vcpu: 16, memoryGiB: 64, storageTiB: 1, from: '2020-01-01' },
      { expect: [201] },
    );
    const shown = await tdx(['resources', 'show', entry.code, '--node', province.url]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('capacity   64 vCPU, 512 GiB memory, 10 TiB storage');
    expect(shown.stdout).toContain('allocated  16 vCPU, 64 GiB memory, 1 TiB storage today');
    const json = JSON.parse((await tdx(['resources', 'show', entry.id, '--json', '--node', province.url])).stdout);
    expect(json).toEqual((await api(province.url, 'GET', `/api/v1/resources/${entry.id}`)).body);
  });
});
