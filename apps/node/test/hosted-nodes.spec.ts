import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  anonymous,
  api,
  createTestDatabase,
  databaseUrl,
  deleteNamespaceStreams,
  eventually,
  freePort,
  login,
  NodeProcess,
  PG_ADMIN_URL,
  portAnswers,
  publicKeyOf,
  SHARED_NATS_URL,
  signInAs,
  TEST_ADMIN_PASSWORD,
  TestDatabase,
  testNamespace,
  testNodeEnvironment,
  withPg,
} from '@tdx/testing';
import { sampleEntry, sampleInstitution } from './support/samples';

/**
 * Article 9's hosted nodes: Hangzhou's process serving the city and two of its districts from a
 * nodes file, the province running alone, all on the real PostgreSQL and the shared NATS server
 * under a namespace of this file's own. Each node keeps its own database, key, accounts and port.
 */
describe('hosted nodes (TDX_NODES_FILE)', () => {
  const namespace = testNamespace();
  const dir = mkdtempSync(join(tmpdir(), 'tdx-hosted-'));
  const databases = new Map<string, TestDatabase>();
  const ports = new Map<string, number>();
  const processes: NodeProcess[] = [];
  let province: NodeProcess;
  let host: NodeProcess;
  let again: NodeProcess;

  const url = (code: string) => `http://127.0.0.1:${ports.get(code)}`;
  const PARENT: Record<string, string> = { '330100': '330000', '330106': '330100', '330108': '330100', '330110': '330100' };

  /** A console build of each node's own (CONSOLE_DIR), so that an answer shows whose it is. */
  function consoleOf(code: string): string {
    const built = join(dir, `console-${code}`);
    mkdirSync(join(built, 'assets'), { recursive: true });
    writeFileSync(join(built, 'index.html'), `<!doctype html><p>console of ${code}</p>`);
    return built;
  }

  /** A node's variables, as its own environment would hold them when it runs alone. */
  function variablesOf(code: string): Record<string, string> {
    return testNodeEnvironment(
      {
        code,
        parentCode: PARENT[code],
        databaseUrl: (databases.get(code) as TestDatabase).url,
        natsUrl: SHARED_NATS_URL,
        natsNamespace: namespace,
        keyFile: join(dir, `node-${code}.pem`),
        // At 'log': the first test reads each node's joins in the shared log.
        env: { HEARTBEAT_INTERVAL: '2', LOG_LEVEL: 'log', CONSOLE_DIR: consoleOf(code) },
      },
      ports.get(code) as number,
    );
  }

  function nodesFile(name: string, codes: string[]): string {
    const file = join(dir, name);
    // The password comes from the hosting process's environment, as an operator keeps it out of the file.
    const nodes = codes.map((code) => ({ ...variablesOf(code), ADMIN_PASSWORD: '${TDX_TEST_ADMIN_PASSWORD}' }));
    writeFileSync(file, stringify({ nodes }));
    return file;
  }

  function hostProcess(file: string, codes: string[]): NodeProcess {
    const hosting = new NodeProcess({
      code: codes.join('+'),
      port: ports.get(codes[0]) as number,
      env: { TDX_NODES_FILE: file, TDX_TEST_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
      logFile: join(dir, `${file.split('/').pop()}.log`),
    });
    processes.push(hosting);
    return hosting;
  }

  async function healthy(code: string, owner: NodeProcess): Promise<void> {
    await eventually(
      async () => {
        if (!owner.running) throw new Error(`the process of ${code} exited:\n${owner.logTail(30)}`);
        expect((await anonymous(url(code), 'GET', '/health')).status).toBe(200);
      },
      120_000,
      250,
    );
    signInAs(url(code), 'admin', TEST_ADMIN_PASSWORD);
  }

  async function joined(code: string): Promise<void> {
    await eventually(async () => expect((await api(url(code), 'GET', '/api/v1/federation/status')).body?.parent?.joined).toBe(true), 90_000, 250);
  }

  async function entryAt(code: string, id: string) {
    return api(url(code), 'GET', `/api/v1/catalog/entries/${id}`);
  }

  beforeAll(async () => {
    for (const code of ['330000', '330100', '330106', '330108', '330110']) {
      databases.set(code, await createTestDatabase(`hosted15_${code}`));
      ports.set(code, await freePort());
    }
    province = await NodeProcess.start({
      code: '330000',
      databaseUrl: (databases.get('330000') as TestDatabase).url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
    });
    processes.push(province);
    ports.set('330000', province.port);
  });

  afterAll(async () => {
    for (const running of [...processes].reverse()) await running.stop().catch(() => undefined);
    for (const db of databases.values()) await db.drop().catch(() => undefined);
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  let institutionId: string;
  let entryId: string;

  it('serves the nodes of one file, each with its own identity, accounts and data', async () => {
    host = hostProcess(nodesFile('hangzhou.nodes.yaml', ['330100', '330106', '330108']), ['330100', '330106', '330108']).launch();
    for (const code of ['330100', '330106', '330108']) await healthy(code, host);

    // Its own identity: each port is its node, with a key of its own.
    for (const code of ['330100', '330106', '330108']) {
      expect((await api(url(code), 'GET', '/api/v1/node')).body).toMatchObject({ code, parent: { code: PARENT[code] } });
    }
    // Each serves the web console from its own CONSOLE_DIR.
    for (const code of ['330100', '330106', '330108']) {
      const page = await fetch(`${url(code)}/`);
      expect([code, page.status, page.headers.get('cache-control'), await page.text()]).toEqual([
        code,
        200,
        'no-cache',
        `<!doctype html><p>console of ${code}</p>`,
      ]);
    }
    const keys = ['330100', '330106', '330108'].map((code) => publicKeyOf(join(dir, `node-${code}.pem`)));
    expect(new Set(keys).size).toBe(3);
    for (const code of ['330106', '330108']) await joined(code);

    // Its own accounts: an account of Xihu signs in at Xihu and nowhere else in the process.
    const created = await api(url('330106'), 'POST', '/api/v1/accounts', {
      username: 'xihu-clerk',
      password: 'Water-Meter-Secret-9',
      roles: [{ role: 'county-operator', institutionId: null }],
    });
    expect(created.body).toMatchObject({ username: 'xihu-clerk' });
    await expect(login(url('330106'), 'xihu-clerk', 'Water-Meter-Secret-9')).resolves.toMatchObject({ accessToken: expect.any(String) });
    for (const other of ['330100', '330108']) {
      expect((await anonymous(url(other), 'POST', '/api/v1/auth/login', { username: 'xihu-clerk', password: 'Water-Meter-Secret-9' })).status).toBe(401);
    }

    // Its own data: registered at Xihu, in Xihu's database, replicated to the city, absent at Binjiang.
    const institution = await api(url('330106'), 'POST', '/api/v1/institutions', sampleInstitution('Xihu Water Supply'));
    expect(institution.status).toBe(201);
    institutionId = institution.body.id;
    const entry = await api(url('330106'), 'POST', '/api/v1/catalog/entries', sampleEntry(institutionId, { name: 'Xihu water meters' }));
    expect(entry.status).toBe(201);
    entryId = entry.body.id;
    await eventually(async () => expect((await entryAt('330100', entryId)).body).toMatchObject({ origin: '330106', name: 'Xihu water meters' }), 60_000);
    expect((await entryAt('330108', entryId)).status).toBe(404);
    const stored = await withPg((databases.get('330106') as TestDatabase).url, (c) =>
      c.query('SELECT count(*)::int AS n FROM catalog_entry WHERE id = $1', [entryId]),
    );
    expect(stored.rows[0].n).toBe(1);
    const elsewhere = await withPg((databases.get('330108') as TestDatabase).url, (c) =>
      c.query('SELECT count(*)::int AS n FROM catalog_entry WHERE id = $1', [entryId]),
    );
    expect(elsewhere.rows[0].n).toBe(0);

    // Every log line names the node whose work wrote it, though Nest has one logger per process.
    const lines = readFileSync(join(dir, 'hangzhou.nodes.yaml.log'), 'utf8').split('\n');
    const writers = (text: string) => lines.filter((l) => l.includes(text)).map((l) => /^\[tdx (\w+)\]/.exec(l)?.[1]);
    expect(writers('joined parent 330000')).toEqual(['330100']);
    expect(writers('joined parent 330100').sort()).toEqual(['330106', '330108']);
    expect(writers('330106 admitted')).toEqual(['330100']);

    // Every metric names its node.
    for (const code of ['330100', '330106']) {
      const scrape = String((await api(url(code), 'GET', '/metrics')).body);
      const series = scrape.split('\n').filter((line) => line && !line.startsWith('#'));
      expect(series.length).toBeGreaterThan(5);
      for (const line of series) expect(line).toContain(`node="${code}"`);
    }
  });

  it("keeps serving the other nodes while one node's database is gone, and that node recovers when it is back", async () => {
    const db = databases.get('330108') as TestDatabase;
    const binjiang = db.name;
    // Every connection of the node goes; the test's own connection to the database stays (for the clean-up).
    const [{ own }] = await db.query<{ own: number }>('SELECT pg_backend_pid() AS own');
    await withPg(PG_ADMIN_URL, async (c) => {
      await c.query(`ALTER DATABASE ${binjiang} ALLOW_CONNECTIONS false`);
      const ended = await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2', [binjiang, own]);
      expect(ended.rowCount).toBeGreaterThan(0);
    });
    try {
      await eventually(async () => {
        const health = await anonymous(url('330108'), 'GET', '/health');
        expect(health.status).toBe(503);
        expect(health.body.checks).toMatchObject({ database: 'down' });
      }, 60_000);
      // The others serve, reads and writes, in the same process.
      const written = await api(url('330106'), 'POST', '/api/v1/catalog/entries', sampleEntry(institutionId, { name: 'Xihu hydrants' }));
      expect(written.status).toBe(201);
      await eventually(async () => expect((await entryAt('330100', written.body.id)).status).toBe(200), 60_000);
      for (const code of ['330100', '330106']) expect((await anonymous(url(code), 'GET', '/health')).status).toBe(200);
      expect(host.running).toBe(true);
    } finally {
      await withPg(PG_ADMIN_URL, (c) => c.query(`ALTER DATABASE ${binjiang} ALLOW_CONNECTIONS true`));
    }
    await eventually(async () => expect((await anonymous(url('330108'), 'GET', '/health')).status).toBe(200), 60_000, 250);
    expect((await api(url('330108'), 'POST', '/api/v1/institutions', sampleInstitution('Binjiang Power'))).status).toBe(201);
    expect(host.running).toBe(true);
  });

  it('moves a county from the hosting process to its own and back, keeping its data, key and link', async () => {
    const xihuKey = publicKeyOf(join(dir, 'node-330106.pem'));
    await host.stop();
    // SIGTERM closed every node and the process ended cleanly (no SIGKILL after the grace period).
    expect(await host.exited).toEqual({ code: 0, signal: null });
    expect(host.printed()).not.toMatch(/uncaught|unhandled/i);

    // Xihu alone, with the environment the operator guide's step prints from the file; the city hosts Binjiang only.
    const printed = spawnSync(process.execPath, ['scripts/nodes-file-env.mjs', join(dir, 'hangzhou.nodes.yaml'), '330106'], {
      cwd: join(__dirname, '../../..'),
      env: { ...process.env, TDX_TEST_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
      encoding: 'utf8',
    });
    expect(printed.status).toBe(0);
    const environment = Object.fromEntries(
      printed.stdout
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(environment).toEqual(variablesOf('330106'));
    const alone = new NodeProcess({
      code: '330106',
      parentCode: '330100',
      port: ports.get('330106') as number,
      env: environment,
      logFile: join(dir, 'xihu.log'),
    });
    processes.push(alone);
    const city = hostProcess(nodesFile('hangzhou-without-xihu.nodes.yaml', ['330100', '330108']), ['330100', '330108']).launch();
    // Started as the host processes are, and waited for as long: a loaded machine can take half a minute.
    alone.launch();
    await healthy('330106', alone);
    for (const code of ['330100', '330108']) await healthy(code, city);
    await joined('330106');

    expect(publicKeyOf(join(dir, 'node-330106.pem'))).toBe(xihuKey);
    expect((await entryAt('330106', entryId)).body).toMatchObject({ name: 'Xihu water meters', version: 1 });
    await expect(login(url('330106'), 'xihu-clerk', 'Water-Meter-Secret-9')).resolves.toBeDefined();
    const moved = await api(url('330106'), 'POST', '/api/v1/catalog/entries', sampleEntry(institutionId, { name: 'Xihu wells' }));
    expect(moved.status).toBe(201);
    await eventually(async () => expect((await entryAt('330100', moved.body.id)).body).toMatchObject({ origin: '330106', name: 'Xihu wells' }), 60_000);
    expect((await entryAt('330100', entryId)).status).toBe(200);

    // And back into the city's process.
    await alone.stop();
    await city.stop();
    again = hostProcess(nodesFile('hangzhou-again.nodes.yaml', ['330100', '330106', '330108']), ['330100', '330106', '330108']).launch();
    for (const code of ['330100', '330106', '330108']) await healthy(code, again);
    const back = await api(url('330106'), 'POST', '/api/v1/catalog/entries', sampleEntry(institutionId, { name: 'Xihu springs' }));
    expect(back.status).toBe(201);
    await eventually(async () => expect((await entryAt('330100', back.body.id)).status).toBe(200), 60_000);
    // Nothing lost or doubled on the way: the city holds Xihu's entries exactly once, each at its version.
    const atCity = await withPg((databases.get('330100') as TestDatabase).url, (c) =>
      c.query("SELECT name, version FROM catalog_entry WHERE origin = '330106' ORDER BY name"),
    );
    expect(atCity.rows).toEqual([
      { name: 'Xihu hydrants', version: 1 },
      { name: 'Xihu springs', version: 1 },
      { name: 'Xihu water meters', version: 1 },
      { name: 'Xihu wells', version: 1 },
    ]);
    expect(publicKeyOf(join(dir, 'node-330106.pem'))).toBe(xihuKey);
  });

  it('keeps serving the others while one node cannot start, and starts that node once its database is fixed', async () => {
    await again.stop();
    // Yuhang's database passes the check at start (it answers) but its schema cannot be migrated.
    const yuhang = databases.get('330110') as TestDatabase;
    await yuhang.query('CREATE TABLE institution (not_the_real_one int)');
    const hosting = hostProcess(nodesFile('hangzhou-yuhang.nodes.yaml', ['330100', '330106', '330110']), ['330100', '330106', '330110']).launch();
    for (const code of ['330100', '330106']) await healthy(code, hosting);
    await eventually(() => expect(hosting.printed()).toMatch(/institution" already exists/), 60_000);
    expect(await portAnswers(ports.get('330110') as number)).toBe(false);
    const written = await api(url('330106'), 'POST', '/api/v1/catalog/entries', sampleEntry(institutionId, { name: 'Xihu fountains' }));
    expect(written.status).toBe(201);
    expect(hosting.running).toBe(true);

    await yuhang.query('DROP TABLE institution');
    await healthy('330110', hosting);
    expect((await api(url('330110'), 'GET', '/api/v1/node')).body).toMatchObject({ code: '330110' });
    for (const code of ['330100', '330106']) expect((await anonymous(url(code), 'GET', '/health')).status).toBe(200);
    await hosting.stop();
  });

  it('refuses a bad file at start with one message naming every problem, having started nothing', async () => {
    const good = await createTestDatabase('hosted15_untouched');
    databases.set('untouched', good);
    const missing = `hosted15_missing_${Date.now()}`;
    const [a, b, c] = [await freePort(), await freePort(), await freePort()];
    const node = (code: string, parent: string, port: number, db: string) =>
      testNodeEnvironment(
        { code, parentCode: parent, databaseUrl: db, natsUrl: SHARED_NATS_URL, natsNamespace: namespace, keyFile: join(dir, `bad-${code}-${port}.pem`) },
        port,
      );
    const file = join(dir, 'bad.nodes.json');
    writeFileSync(
      file,
      JSON.stringify({
        nodes: [
          node('330100', '330000', a, good.url),
          node('330106', '330100', b, databaseUrl(PG_ADMIN_URL, missing)),
          node('330106', '330100', c, databaseUrl(PG_ADMIN_URL, `${missing}_2`)),
          node('330212', '330200', c, databaseUrl(PG_ADMIN_URL, `${missing}_3`)),
        ],
      }),
    );
    const refused = new NodeProcess({ code: 'bad', port: a, env: { TDX_NODES_FILE: file } });
    processes.push(refused);
    refused.launch();
    expect(await refused.exited).toEqual({ code: 2, signal: null });
    const output = refused.printed();
    expect(output.match(/refuses to start/g)).toHaveLength(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toContain('NODE_CODE 330106 is given to 2 nodes (nodes[1] 330106, nodes[2] 330106)');
    expect(output).toContain(`PORT ${c} is given to 2 nodes (nodes[2] 330106, nodes[3] 330212)`);
    expect(output).toMatch(/330212: sits under 330200, which this file does not host/);
    expect(output).toContain(`nodes[1] (330106): DATABASE_URL: database ${missing} does not exist`);
    expect(output).toContain(`nodes[2] (330106): DATABASE_URL: database ${missing}_2 does not exist`);
    // Nothing started half-way: the valid node never listened nor migrated its database.
    expect(await portAnswers(a)).toBe(false);
    expect(await good.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'")).toEqual([{ n: 0 }]);
  });
});
