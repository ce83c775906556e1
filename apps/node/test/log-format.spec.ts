import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, deleteNamespaceStreams, NodeProcess, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';

/**
 * LOG_FORMAT=json, for log shippers: a real node at debug level, with known secrets in its
 * environment, is signed in to, refused and stopped; every line it printed must be one JSON object
 * with the node's code, an ISO time, a level, a context and a message, and hold no secret.
 */
const unique = (label: string) => `${label}-${randomBytes(9).toString('base64url')}`;
const DB_PASSWORD = unique('Db-Pw');
const ADMIN_PASSWORD = unique('Adm1n-Pw');
const METRICS_TOKEN = unique('metrics-token-0123456789abcdef');
const LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

describe('LOG_FORMAT=json', () => {
  let db: TestDatabase;
  let node: NodeProcess;
  let dir: string;
  const namespace = testNamespace();

  beforeAll(async () => {
    db = await createTestDatabase('ops15_logjson');
    dir = mkdtempSync(join(tmpdir(), 'tdx-logjson-'));
    const databaseUrl = db.url.replace('postgres://postgres@', `postgres://postgres:${encodeURIComponent(DB_PASSWORD)}@`);
    node = await NodeProcess.start(
      {
        code: '330000',
        databaseUrl,
        natsUrl: SHARED_NATS_URL,
        natsNamespace: namespace,
        keyFile: join(dir, 'node.pem'),
        env: { LOG_FORMAT: 'json', LOG_LEVEL: 'debug', ADMIN_PASSWORD, METRICS_TOKEN },
      },
      { logFile: join(dir, 'node.log') },
    );
    await node.waitHealthy();
  });
  afterAll(async () => {
    await node?.stop();
    await db?.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes one JSON object per line, each naming the node, and no secret', async () => {
    const login = (password: string) =>
      fetch(`${node.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
    expect((await login(`${ADMIN_PASSWORD}x`)).status).toBe(401);
    expect((await login(ADMIN_PASSWORD)).status).toBe(200);
    expect((await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
    await node.stop();

    const output = readFileSync(join(dir, 'node.log'), 'utf8');
    // NodeProcess writes its own '=== starting node' marker into the file before the node's output.
    const lines = output.split('\n').filter((line) => line !== '' && !line.startsWith('=== '));
    const notJson = lines.filter((line) => !isJsonObject(line));
    expect(notJson).toEqual([]);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(5);
    for (const record of records) {
      expect(record).toMatchObject({ node: '330000', level: expect.any(String), context: expect.any(String), message: expect.any(String) });
      expect(LEVELS).toContain(record.level);
      expect(new Date(String(record.time)).toISOString()).toBe(record.time);
    }
    // The lines are the node's real ones: Nest's start-up and the node's own, up to listening.
    expect(records.some((record) => record.context === 'Node' && String(record.message).includes('listening on'))).toBe(true);
    expect(records.some((record) => record.context === 'NestFactory')).toBe(true);
    for (const secret of [DB_PASSWORD, ADMIN_PASSWORD, METRICS_TOKEN]) {
      expect(output.includes(secret) || output.includes(encodeURIComponent(secret))).toBe(false);
    }
  });

  it('refuses an unknown format at start, naming the variable', async () => {
    const refused = new NodeProcess({ code: '330000', port: 1, env: { ...node.env, LOG_FORMAT: 'xml' } });
    refused.launch();
    const exit = await refused.exited;
    expect(exit?.code).toBe(2);
    expect(refused.printed()).toMatch(/invalid configuration: .*LOG_FORMAT must be text or json/);
  });
});

function isJsonObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}
