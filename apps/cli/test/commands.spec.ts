// The built `tdx` commands for institutions, the catalog, accounts, passwords and the federation,
// against real nodes (the built service on the real PostgreSQL and NATS): each command's effect is
// read back through the API, not from what the command printed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  api,
  createTestDatabase,
  deleteNamespaceStreams,
  NodeProcess,
  SHARED_NATS_URL,
  type TestDatabase,
  testNamespace,
  waitForTrustList,
} from '@tdx/testing';
import { CLI_CONFIG_HOME, CLI_MAIN, ROOT, startNode, tdx, tdxLogin, waitJoined } from './support/tdx';

const namespace = testNamespace();
const dir = mkdtempSync(join(tmpdir(), 'tdx-cli-commands-'));
let dbs: TestDatabase[] = [];
let province: NodeProcess;
let city: NodeProcess;
let providerId: string;

const json = (stdout: string) => JSON.parse(stdout);

beforeAll(async () => {
  dbs = await Promise.all(['cmd_province', 'cmd_city'].map((label) => createTestDatabase(label)));
  province = await startNode({ code: '330000', databaseUrl: dbs[0].url, natsNamespace: namespace });
  // The city decides its children's joins by hand: the federation commands approve one.
  city = await startNode({ code: '330100', parentCode: '330000', databaseUrl: dbs[1].url, natsNamespace: namespace, env: { JOIN_APPROVAL: 'operator' } });
  await waitJoined(city);
  await Promise.all([tdxLogin(province.url), tdxLogin(city.url)]);
});

afterAll(async () => {
  await city?.stop();
  await province?.stop();
  await Promise.all(dbs.map((db) => db.drop()));
  await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
});

describe('tdx institution', () => {
  it('registers an institution that the API then lists; a bad kind is refused before any request', async () => {
    const registered = await tdx(['institution', 'register', '--name', '浙江省市场监督管理局', '--kind', 'government', '--json', '--node', province.url]);
    expect(registered.stderr).toBe('');
    expect(registered.code).toBe(0);
    providerId = json(registered.stdout).id;
    const listed = await api(province.url, 'GET', '/api/v1/institutions?scope=local');
    expect(listed.body.items).toEqual([expect.objectContaining({ id: providerId, name: '浙江省市场监督管理局', kind: 'government', origin: '330000' })]);

    const table = await tdx(['institution', 'list', '--node', province.url]);
    expect(table.stdout).toMatch(new RegExp(`^${providerId}\\s+浙江省市场监督管理局\\s+government`, 'm'));
    const bad = await tdx(['institution', 'register', '--name', 'x', '--kind', 'company', '--node', province.url]);
    expect(bad.code).toBe(2);
    expect((await api(province.url, 'GET', '/api/v1/institutions?scope=local')).body.items).toHaveLength(1);
  });
});

describe('tdx catalog', () => {
  it('registers, edits, searches, shows with its versions and retires an entry, by UUID or code', async () => {
    const registered = await tdx([
      'catalog',
      'register',
      '--type',
      'data',
      '--code',
      'ZJ-MKT-001',
      '--name',
      'Enterprise register',
      '--summary',
      'Registered enterprises',
      '--provider',
      providerId,
      '--category',
      'market-regulation',
      '--grade',
      'L2',
      '--share-type',
      'unconditional',
      '--open-type',
      'restricted',
      '--update-cycle',
      'daily',
      '--format',
      'csv',
      '--items',
      'name:string,phone:string:sensitive',
      '--json',
      '--node',
      province.url,
    ]);
    expect(registered.stderr).toBe('');
    expect(registered.code).toBe(0);
    const id = json(registered.stdout).id;
    const stored = await api(province.url, 'GET', `/api/v1/catalog/entries/${id}`);
    expect(stored.body).toMatchObject({
      code: 'ZJ-MKT-001',
      version: 1,
      dataItems: [
        { name: 'name', type: 'string', sensitive: false },
        { name: 'phone', type: 'string', sensitive: true },
      ],
    });

    // Edited by its code: a new version with the field changed and the others kept.
    const edited = await tdx(['catalog', 'edit', 'ZJ-MKT-001', '--summary', 'All registered enterprises', '--expected-version', '1', '--node', province.url]);
    expect(edited.code).toBe(0);
    expect((await api(province.url, 'GET', `/api/v1/catalog/entries/${id}`)).body).toMatchObject({
      version: 2,
      summary: 'All registered enterprises',
      grade: 'L2',
    });
    const stale = await tdx(['catalog', 'edit', id, '--summary', 'x', '--expected-version', '1', '--node', province.url]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/409/);

    const found = await tdx(['catalog', 'search', 'MKT-001', '--json', '--node', province.url]);
    expect(json(found.stdout).items.map((e: { id: string }) => e.id)).toEqual([id]);

    const shown = await tdx(['catalog', 'show', 'ZJ-MKT-001', '--node', province.url]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^versions {2}2 \(now\)$/m);
    expect(shown.stdout).toMatch(/ registered by user:admin$/m);
    expect(shown.stdout).toMatch(/ new version by user:admin$/m);

    const retired = await tdx(['catalog', 'retire', 'ZJ-MKT-001', '--node', province.url]);
    expect(retired.code).toBe(0);
    expect((await api(province.url, 'GET', `/api/v1/catalog/entries/${id}`)).body).toMatchObject({ status: 'retired', version: 3 });
    const listed = await tdx(['catalog', 'list', '--status', 'retired', '--json', '--node', province.url]);
    expect(json(listed.stdout).items.map((e: { id: string }) => e.id)).toContain(id);
  });

  it('data load --entry CODE loads into that entry; an unknown code fails before anything is sent', async () => {
    const entry = await api(province.url, 'POST', '/api/v1/catalog/entries', {
      type: 'data',
      code: 'ZJ-MKT-002',
      name: 'Licences',
      summary: 'Business licences',
      providerId,
      category: 'market-regulation',
      grade: 'L1',
      shareType: 'unconditional',
      openType: 'unconditional',
      updateCycle: 'daily',
      dataItems: [{ name: 'name', type: 'string', sensitive: false }],
    });
    expect(entry.status).toBe(201);
    const csv = join(dir, 'licences.csv');
    writeFileSync(csv, 'row_key,region_code,name\nk1,330106,Alpha\nk2,330212,Beta\n');
    const loaded = await tdx(['data', 'load', csv, '--entry', 'ZJ-MKT-002', '--json', '--node', province.url]);
    expect(loaded.stderr).toBe('');
    expect(json(loaded.stdout)).toMatchObject({ entryId: entry.body.id, inserted: 2 });

    const unknown = await tdx(['data', 'load', csv, '--entry', 'ZJ-NOPE-404', '--node', province.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no catalog entry has the code "ZJ-NOPE-404"');
    // No upload began: no "loading" line, no progress bar.
    expect(unknown.stdout).toBe('');

    // The content by the entry's code: summary, rows, deletion.
    expect(json((await tdx(['data', 'show', 'ZJ-MKT-002', '--json', '--node', province.url])).stdout)).toMatchObject({ rows: 2, deletedRows: 0 });
    const rows = await tdx(['data', 'rows', 'ZJ-MKT-002', '--region', '3301', '--node', province.url]);
    expect(rows.stdout).toMatch(/^k1\s+330106\s+Alpha$/m);
    expect(rows.stdout).not.toMatch(/^k2/m);
    expect((await tdx(['data', 'delete', 'ZJ-MKT-002', '--keys', 'k1', '--node', province.url])).code).toBe(0);
    expect((await api(province.url, 'GET', `/api/v1/datasets/${entry.body.id}`)).body).toMatchObject({ rows: 1, deletedRows: 1 });
  });
});

describe('tdx account and tdx password', () => {
  it('creates an account that can sign in, changes its roles, disables it; the user changes their own password', async () => {
    const created = await tdx(
      ['account', 'create', '--username', 'li.wei', '--roles', 'auditor', '--json', '--node', province.url],
      {},
      60_000,
      'first-Passw0rd-long\nfirst-Passw0rd-long\n',
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const id = json(created.stdout).id;
    expect((await api(province.url, 'GET', `/api/v1/accounts/${id}`)).body).toMatchObject({
      username: 'li.wei',
      disabled: false,
      roles: [{ role: 'auditor', institutionId: null }],
    });

    // The user, with a session of their own.
    const own = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'tdx-li-wei-')) };
    expect((await tdx(['login', '--username', 'li.wei', '--node', province.url], own, 60_000, 'first-Passw0rd-long\n')).code).toBe(0);
    const differ = await tdx(['password', '--node', province.url], own, 60_000, 'first-Passw0rd-long\nthird-Passw0rd-long\nother-Passw0rd-long\n');
    expect(differ.code).toBe(2);
    // The new passwords differ: nothing changed.
    expect((await api(province.url, 'POST', '/api/v1/auth/login', { username: 'li.wei', password: 'first-Passw0rd-long' })).status).toBe(200);
    const changed = await tdx(['password', '--node', province.url], own, 60_000, 'first-Passw0rd-long\nsecond-Passw0rd-long\nsecond-Passw0rd-long\n');
    expect(changed.stderr).toBe('');
    expect(changed.code).toBe(0);
    expect((await api(province.url, 'POST', '/api/v1/auth/login', { username: 'li.wei', password: 'first-Passw0rd-long' })).status).toBe(401);
    expect((await api(province.url, 'POST', '/api/v1/auth/login', { username: 'li.wei', password: 'second-Passw0rd-long' })).status).toBe(200);

    const roles = await tdx(['account', 'roles', 'li.wei', '--roles', `institution-user@${providerId}`, '--node', province.url]);
    expect(roles.code).toBe(0);
    expect((await api(province.url, 'GET', `/api/v1/accounts/${id}`)).body.roles).toEqual([{ role: 'institution-user', institutionId: providerId }]);
    expect((await tdx(['account', 'disable', 'li.wei', '--node', province.url])).code).toBe(0);
    expect((await api(province.url, 'GET', `/api/v1/accounts/${id}`)).body.disabled).toBe(true);
    const listed = await tdx(['account', 'list', '--node', province.url]);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+li\\.wei\\s+disabled\\s+institution-user@${providerId}`, 'm'));
  });
});

describe('tdx federation', () => {
  let county: NodeProcess | undefined;
  let countyDb: TestDatabase | undefined;
  afterAll(async () => {
    await county?.stop();
    await countyDb?.drop();
  });

  it('status, digest, a pending join approved by command, the trust list, its reset and a key rotation', async () => {
    const status = await tdx(['federation', 'status', '--json', '--node', province.url]);
    expect(status.code).toBe(0);
    expect(json(status.stdout).children.map((c: { code: string }) => c.code)).toEqual(['330100']);
    const digest = await tdx(['federation', 'digest', '--json', '--node', province.url]);
    expect(json(digest.stdout)).toMatchObject({ node: '330000', origins: expect.any(Array) });

    countyDb = await createTestDatabase('cmd_county');
    county = await startNode({ code: '330106', parentCode: '330100', databaseUrl: countyDb.url, natsNamespace: namespace });
    let pending: { code: string; status: string }[] = [];
    for (let i = 0; i < 60 && pending.length === 0; i++) {
      pending = json((await tdx(['federation', 'nodes', '--status', 'pending', '--json', '--node', city.url])).stdout).items;
      if (pending.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(pending).toEqual([expect.objectContaining({ code: '330106', status: 'pending' })]);
    const approved = await tdx(['federation', 'approve', '330106', '--node', city.url]);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    await waitJoined(county);
    await tdxLogin(county.url);
    expect((await api(city.url, 'GET', '/api/v1/federation/nodes?status=approved')).body.items.map((n: { code: string }) => n.code)).toContain('330106');

    const trust = await tdx(['federation', 'trust-list', '--json', '--node', county.url]);
    expect(json(trust.stdout)).toMatchObject({ state: 'valid', issuer: '330000' });
    const reset = await tdx(['federation', 'trust-reset', '--reason', 'test of the command', '--json', '--node', county.url]);
    expect(reset.code).toBe(0);
    expect(json(reset.stdout).state).toBe('missing');
    await waitForTrustList(county.url, ['330106'], 60_000);

    const before = json((await tdx(['node', '--json', '--node', county.url])).stdout).publicKey;
    const rotated = await tdx(['federation', 'rotate-key', '--json', '--node', county.url]);
    expect(rotated.stderr).toBe('');
    expect(json(rotated.stdout)).toMatchObject({ state: 'announced', previousPublicKey: before });
    expect(json(rotated.stdout).publicKey).not.toBe(before);
  });
});

describe('tdx as a program', () => {
  it('is built with its shebang and executable, and runs as npx tdx from the repository with nothing before its output', () => {
    expect(statSync(CLI_MAIN).mode & 0o111).toBe(0o111);
    const env = { ...process.env, TDX_NODE_URL: '', TDX_TOKEN: '', XDG_CONFIG_HOME: CLI_CONFIG_HOME };
    const npx = spawnSync('npx', ['tdx', 'whoami', '--json', '--node', province.url], { cwd: ROOT, encoding: 'utf8', env });
    expect(npx.status).toBe(0);
    // The JSON document alone on stdout (npm run tdx put its banner before it).
    expect(JSON.parse(npx.stdout)).toMatchObject({ username: 'admin', node: '330000' });
    const help = spawnSync('npx', ['tdx', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: tdx <command>/);
  });

  it('exits quietly when the reader of its output stops early (| head)', async () => {
    // Enough lines to overflow the pipe's buffer, so that tdx is still writing when the reader goes.
    const entries = Array.from({ length: 400 }, (_, i) => ({
      type: 'application',
      code: `PIPE-${String(i).padStart(4, '0')}`,
      name: `Pipe test application ${i} ${'x'.repeat(150)}`,
      summary: 's',
      providerId,
      category: 'c',
      grade: 'L1',
      shareType: 'unconditional',
      openType: 'unconditional',
      updateCycle: 'yearly',
    }));
    const file = join(dir, 'entries.json');
    writeFileSync(file, JSON.stringify(entries));
    const imported = await tdx(['catalog', 'import', file, '--json', '--node', province.url]);
    expect(imported.code).toBe(0);
    expect((await api(province.url, 'GET', '/api/v1/catalog/entries?q=PIPE-&limit=500')).body.items).toHaveLength(400);

    const child = spawn(process.execPath, [CLI_MAIN, 'catalog', 'search', 'PIPE-', '--limit', '500', '--node', province.url], {
      env: { ...process.env, TDX_NODE_URL: '', TDX_TOKEN: '', XDG_CONFIG_HOME: CLI_CONFIG_HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    // Read the first chunk, then close our end as `head` does.
    await new Promise<void>((resolve) => child.stdout.once('data', () => (child.stdout.destroy(), resolve())));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
