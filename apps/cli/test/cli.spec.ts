// The built `tdx` against real nodes (the built service on the real PostgreSQL and NATS): what an
// operator sees and the exit codes scripts rely on.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  api,
  createTestDatabase,
  deleteNamespaceStreams,
  freePort,
  NodeProcess,
  SHARED_NATS_URL,
  TEST_ADMIN_PASSWORD,
  type TestDatabase,
  testNamespace,
} from '@tdx/testing';
import { CLI_CONFIG_HOME, startNode, tdx, tdxLogin, waitJoined } from './support/tdx';

const namespace = testNamespace();
const dir = mkdtempSync(join(tmpdir(), 'tdx-cli-it-'));
let provinceDb: TestDatabase;
let cityDb: TestDatabase;
let province: NodeProcess;
let city: NodeProcess;
let providerId: string;

function dataEntry(overrides: Record<string, unknown> = {}) {
  return {
    type: 'data',
    name: 'Enterprise register',
    summary: 'Registered enterprises of the province',
    providerId,
    category: 'market-regulation',
    grade: 'L2',
    shareType: 'unconditional',
    openType: 'restricted',
    updateCycle: 'daily',
    format: 'csv',
    dataItems: [
      { name: 'name', type: 'string', sensitive: false },
      { name: 'phone', type: 'string', sensitive: true },
    ],
    ...overrides,
  };
}

async function createEntry(overrides: Record<string, unknown> = {}): Promise<string> {
  const created = await api(province.url, 'POST', '/api/v1/catalog/entries', dataEntry(overrides));
  expect(created.status).toBe(201);
  return created.body.id;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(async () => {
  [provinceDb, cityDb] = await Promise.all([createTestDatabase('cli_province'), createTestDatabase('cli_city')]);
  province = await startNode({ code: '330000', databaseUrl: provinceDb.url, natsNamespace: namespace });
  city = await startNode({ code: '330100', parentCode: '330000', databaseUrl: cityDb.url, natsNamespace: namespace });
  await waitJoined(city);
  await Promise.all([tdxLogin(province.url), tdxLogin(city.url)]);
  const institution = await api(province.url, 'POST', '/api/v1/institutions', { name: 'Provincial Market Regulation', kind: 'government' });
  expect(institution.status).toBe(201);
  providerId = institution.body.id;
});

afterAll(async () => {
  await city?.stop();
  await province?.stop();
  await Promise.all([provinceDb?.drop(), cityDb?.drop()]);
  await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
});

describe('tdx node', () => {
  it('says which node it talks to, from --node or TDX_NODE_URL', async () => {
    const byOption = await tdx(['node', '--node', city.url]);
    expect(byOption).toMatchObject({ code: 0, stderr: '' });
    expect(byOption.stdout).toMatch(/^node {6}330100 杭州市 \(city\)$/m);
    expect(byOption.stdout).toMatch(/^parent {4}330000 浙江省 \(joined\)$/m);

    const byEnv = await tdx(['node', '--json'], { TDX_NODE_URL: province.url });
    expect(byEnv.code).toBe(0);
    expect(JSON.parse(byEnv.stdout)).toMatchObject({ code: '330000', level: 'province', parent: null });
  });

  it('a node that is down: exit 3, naming the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await tdx(['node', '--node', url]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`tdx: cannot reach the node at ${url} (ECONNREFUSED): the node may be down`);
  });

  it('a usage error: exit 2 with the usage', async () => {
    const result = await tdx(['return', 'reject', 'some-id', '--node', province.url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('tdx: --reason is required');
    expect(result.stderr).toContain('usage: tdx return reject ID --reason TEXT');
  });
});

describe('tdx login', () => {
  it('keeps the session in a file only the user reads, and whoami names the account', async () => {
    expect(statSync(join(CLI_CONFIG_HOME, 'tdx', 'credentials.json')).mode & 0o777).toBe(0o600);
    const me = await tdx(['whoami', '--node', city.url]);
    expect(me).toMatchObject({ code: 0, stderr: '' });
    expect(me.stdout).toContain(`admin at ${city.url} (node 330100): municipal-admin`);
  });

  it('without a session: exit 4 and how to sign in; a wrong password: exit 4, nothing kept', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'tdx-cli-none-'));
    const none = await tdx(['node', '--node', province.url], { XDG_CONFIG_HOME: elsewhere });
    expect(none.code).toBe(4);
    expect(none.stderr).toContain(`run tdx login --node ${province.url}`);
    const wrong = await tdx(['login', '--username', 'admin', '--node', province.url], { XDG_CONFIG_HOME: elsewhere }, 60_000, 'Not-the-Passw0rd\n');
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('wrong user name or password');
    expect(() => statSync(join(elsewhere, 'tdx', 'credentials.json'))).toThrow();
  });

  it('TDX_TOKEN is used as it is; logout ends the session at the node', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'tdx-cli-token-'));
    const login = await fetch(`${province.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    expect((await tdx(['whoami', '--node', province.url], { XDG_CONFIG_HOME: elsewhere, TDX_TOKEN: accessToken })).code).toBe(0);

    expect((await tdx(['login', '--username', 'admin', '--node', province.url], { XDG_CONFIG_HOME: elsewhere }, 60_000, `${TEST_ADMIN_PASSWORD}\n`)).code).toBe(
      0,
    );
    const out = await tdx(['logout', '--node', province.url], { XDG_CONFIG_HOME: elsewhere });
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect((await tdx(['whoami', '--node', province.url], { XDG_CONFIG_HOME: elsewhere })).code).toBe(4);
  });
});

describe('tdx data load', () => {
  let entryId: string;
  beforeAll(async () => {
    entryId = await createEntry();
  });

  it('loads a good CSV: exit 0, the counts, a progress line', async () => {
    const csv = file(
      'good.csv',
      'row_key,region_code,name,phone\nr1,330106,Alpha Ltd,13812345678\nr2,330212,Beta Ltd,13912345678\nr3,330106,Gamma Ltd,13712345678\n',
    );
    const result = await tdx(['data', 'load', csv, '--entry', entryId, '--node', province.url]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // stdout is a pipe here: plain progress lines, no carriage returns.
    expect(result.stdout).not.toContain('\r');
    expect(result.stdout).toMatch(/\[#+\] 100% \d+ B\/\d+ B {2}3 rows/);
    expect(result.stdout).toMatch(/loaded 3 rows in .*: 3 inserted, 0 updated, 0 unchanged/);
    const rows = await provinceDb.query('SELECT row_key FROM dataset_row WHERE entry_id = $1 ORDER BY row_key', [entryId]);
    expect(rows.map((r) => r.row_key)).toEqual(['r1', 'r2', 'r3']);

    const again = await tdx(['data', 'load', csv, '--entry', entryId, '--json', '--node', province.url]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ entryId, rowsRead: 3, inserted: 0, updated: 0, unchanged: 3 });
  });

  it('a bad CSV: exit 1, the errors by line, nothing loaded', async () => {
    const csv = file('bad.csv', 'row_key,region_code,name,phone\nb1,330106,Fine Ltd,13812345678\nb2,310101,Shanghai Ltd,13812345678\nb3,330106,Short\n');
    const result = await tdx(['data', 'load', csv, '--entry', entryId, '--node', province.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tdx: the node refused \(400 Bad Request\)/);
    expect(result.stderr).toMatch(/^ {2}line 3: .*310101/m);
    expect(result.stderr).toMatch(/^ {2}line 4: /m);
    const rows = await provinceDb.query("SELECT row_key FROM dataset_row WHERE entry_id = $1 AND row_key LIKE 'b%'", [entryId]);
    expect(rows).toEqual([]);
  });

  it('an unknown entry: exit 1 with the 404', async () => {
    const csv = file('one.csv', 'row_key,region_code,name,phone\nr1,330106,Alpha Ltd,13812345678\n');
    const result = await tdx(['data', 'load', csv, '--entry', '00000000-0000-4000-8000-000000000000', '--node', province.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tdx: the node refused \(404 Not Found\)/);
  });
});

describe('tdx return', () => {
  let unconditional: string;
  let conditional: string;
  let none: string;

  beforeAll(async () => {
    unconditional = await createEntry({ name: 'Enterprise register (unconditional)' });
    conditional = await createEntry({ name: 'Enterprise register (conditional)', shareType: 'conditional', shareCondition: 'market supervision only' });
    none = await createEntry({ name: 'Enterprise register (not shared)', shareType: 'none', legalBasis: 'Statistics Law, Article 9' });
    const csv = file(
      'returned.csv',
      'row_key,region_code,name,phone\nh1,330106,Hangzhou One,13812345678\nh2,330108,Hangzhou Two,13912345678\nn1,330212,Ningbo One,13712345678\n',
    );
    for (const id of [unconditional, conditional]) expect((await tdx(['data', 'load', csv, '--entry', id, '--node', province.url])).code).toBe(0);
  });

  it('request, sync --watch, jobs, watch, rows and list: the city receives its subtree, masked', async () => {
    const requested = await tdx([
      'return',
      'request',
      '--entry',
      unconditional,
      '--holder',
      '330000',
      '--scope',
      'subtree',
      '--purpose',
      'market supervision',
      '--json',
      '--node',
      city.url,
    ]);
    expect(requested.stderr).toBe('');
    expect(requested.code).toBe(0);
    const request = JSON.parse(requested.stdout);
    expect(request).toMatchObject({ entryId: unconditional, holder: '330000', requester: '330100', scope: 'subtree', state: 'granted' });

    // The grant starts the full transfer; sync follows it while it runs, or starts an incremental one after.
    const synced = await tdx(['return', 'sync', request.id, '--watch', '--node', city.url], {}, 60_000);
    expect(synced.stderr).toBe('');
    expect(synced.code).toBe(0);
    expect(synced.stdout).toMatch(/^job \S+ \((full|incremental)\) started for request /m);
    expect(synced.stdout).toMatch(/^job \S+ done: \d+ rows/m);

    const jobs = await tdx(['return', 'jobs', request.id, '--json', '--node', city.url]);
    expect(jobs.code).toBe(0);
    const full = JSON.parse(jobs.stdout).items.find((j: { kind: string }) => j.kind === 'full');
    expect(full).toMatchObject({ state: 'done', rowsDone: 2, rowsTotal: 2 });
    const table = await tdx(['return', 'jobs', request.id, '--node', city.url]);
    expect(table.stdout).toMatch(new RegExp(`^${full.id}\\s+full\\s+done\\s+2/2\\s`, 'm'));

    const watched = await tdx(['return', 'watch', full.id, '--interval', '0.2', '--node', city.url]);
    expect(watched.stderr).toBe('');
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/\[#+\] 100% 2\/2 rows .* rows\/s {2}ETA 0:00 {2}done/);
    expect(watched.stdout).toMatch(new RegExp(`^job ${full.id} done: 2 rows`, 'm'));

    const landed = await cityDb.query<{ row_key: string; data: { phone: string } }>(
      'SELECT row_key, data FROM returned_row WHERE request_id = $1 ORDER BY row_key',
      [request.id],
    );
    expect(landed.map((r) => r.row_key)).toEqual(['h1', 'h2']);
    // Grade L2, a sensitive item: it arrives masked.
    expect(landed[0].data.phone).not.toBe('13812345678');

    const rows = await tdx(['return', 'rows', request.id, '--region', '330106', '--node', city.url]);
    expect(rows.code).toBe(0);
    const lines = rows.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^row_key\s+region_code\s+name\s+phone$/);
    expect(lines.slice(2)).toEqual([expect.stringMatching(new RegExp(`^h1\\s+330106\\s+Hangzhou One\\s+${landed[0].data.phone.replace(/\*/g, '\\*')}$`))]);

    const listed = await tdx(['return', 'list', '--direction', 'outgoing', '--node', city.url]);
    expect(listed.code).toBe(0);
    // The entry by its name and code (the holder sends them), not only its UUID.
    const code = (await api(province.url, 'GET', `/api/v1/catalog/entries/${unconditional}`)).body.code;
    expect(listed.stdout).toMatch(
      new RegExp(`^${request.id}\\s+granted\\s+Enterprise register \\(unconditional\\)\\s+${code}\\s+330000\\s+330100\\s+subtree`, 'm'),
    );
    const incoming = await tdx(['return', 'list', '--direction', 'incoming', '--json', '--node', province.url]);
    expect(incoming.code).toBe(0);
    expect(JSON.parse(incoming.stdout).items.map((r: { id: string }) => r.id)).toContain(request.id);
  });

  it('a conditional request waits; the holder approves one and rejects another', async () => {
    const first = await tdx(['return', 'request', '--entry', conditional, '--holder', '330000', '--purpose', 'inspections', '--node', city.url]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^state {5}pending/m);
    expect(first.stdout).toContain('waiting for an operator at 330000 to approve it');
    const firstId = /^request {3}(\S+)$/m.exec(first.stdout)?.[1] as string;

    const approved = await tdx(['return', 'approve', firstId, '--note', 'within the stated condition', '--json', '--node', province.url]);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ id: firstId, state: 'granted' });

    const second = await tdx(['return', 'request', '--entry', conditional, '--holder', '330000', '--purpose', 'marketing', '--json', '--node', city.url]);
    const secondId = JSON.parse(second.stdout).id;
    const rejected = await tdx(['return', 'reject', secondId, '--reason', 'marketing is not a public purpose', '--node', province.url]);
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toMatch(/^state {5}rejected \(marketing is not a public purpose\)/m);

    // Deciding twice is refused by the node: exit 1 with its message.
    const twice = await tdx(['return', 'approve', secondId, '--node', province.url]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^tdx: the node refused \((409|422)/);
  });

  it('a resource that is not shared is refused with its legal basis: exit 1', async () => {
    const result = await tdx(['return', 'request', '--entry', none, '--holder', '330000', '--purpose', 'statistics', '--node', city.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Statistics Law, Article 9');
  });

  it('withdraw at the requester and revoke at the holder: --json, history, exit 1 once ended', async () => {
    const ask = async (purpose: string) =>
      JSON.parse((await tdx(['return', 'request', '--entry', unconditional, '--holder', '330000', '--purpose', purpose, '--json', '--node', city.url])).stdout);
    const toWithdraw = await ask('withdrawn soon');
    const withdrawn = await tdx(['return', 'withdraw', toWithdraw.id, '--reason', 'no longer needed', '--json', '--node', city.url]);
    expect(withdrawn).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(withdrawn.stdout)).toMatchObject({ id: toWithdraw.id, state: 'withdrawn', reason: 'no longer needed' });
    const shown = await tdx(['return', 'show', toWithdraw.id, '--node', province.url]);
    expect(shown.stdout).toMatch(/^state {5}withdrawn \(no longer needed\)/m);
    expect(shown.stdout).toMatch(/ withdrawn by 330100: no longer needed$/m);
    const again = await tdx(['return', 'withdraw', toWithdraw.id, '--node', city.url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/was withdrawn on .* by 330100: no longer needed/);

    const toRevoke = await ask('revoked soon');
    const noReason = await tdx(['return', 'revoke', toRevoke.id, '--node', province.url]);
    expect(noReason.code).toBe(2);
    const revoked = await tdx(['return', 'revoke', toRevoke.id, '--reason', 'purpose lapsed', '--node', province.url]);
    expect(revoked).toMatchObject({ code: 0, stderr: '' });
    expect(revoked.stdout).toMatch(/^state {5}revoked \(purpose lapsed\)/m);
    const rejectLate = await tdx(['return', 'reject', toRevoke.id, '--reason', 'too late', '--json', '--node', province.url]);
    expect(rejectLate.code).toBe(1);
    expect(JSON.parse(rejectLate.stdout).error).toMatchObject({ exitCode: 1 });
    expect(rejectLate.stderr).toMatch(/was revoked on .* by 330000: purpose lapsed/);
    const listed = await tdx(['return', 'list', '--state', 'revoked', '--json', '--node', province.url]);
    expect(JSON.parse(listed.stdout).items.map((r: { id: string }) => r.id)).toEqual([toRevoke.id]);

    // The city has no county below it in this federation: its subtree view is empty, the province has none.
    const subtree = await tdx(['return', 'subtree', '--json', '--node', city.url]);
    expect(subtree).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(subtree.stdout)).toEqual({ items: [], nextCursor: null });
    expect((await tdx(['return', 'subtree', '--node', province.url])).code).toBe(1);
  });

  it('an unknown job: exit 1', async () => {
    const result = await tdx(['return', 'watch', '00000000-0000-4000-8000-000000000000', '--node', city.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tdx: the node refused \(404 Not Found\)/);
  });
});
