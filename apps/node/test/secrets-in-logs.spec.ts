import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, deleteNamespaceStreams, NODE_MAIN, NodeProcess, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';

/**
 * Secrets never reach a node's logs. A real
 * node process runs at LOG_LEVEL=debug with known secrets in its environment — a database
 * password (the test server trusts any), NATS user and password (the test server ignores them),
 * ADMIN_PASSWORD, METRICS_TOKEN — and its private key file. It is exercised (failed and successful
 * sign-ins, refreshes, bad tokens, bad bodies, a restart), and every line it printed, and the
 * tokens it issued, are searched for. Start-ups refused for a bad variable are searched too.
 */
const unique = (label: string) => `${label}-${randomBytes(9).toString('base64url')}`;
const DB_PASSWORD = unique('Db-Pw');
const NATS_USER = unique('natsuser');
const NATS_PASSWORD = unique('Nats-Pw');
const ADMIN_PASSWORD = unique('Adm1n-Pw');
const METRICS_TOKEN = unique('metrics-token-0123456789abcdef');

describe('secrets in logs', () => {
  let db: TestDatabase;
  let node: NodeProcess;
  let dir: string;
  let logFile: string;
  const namespace = testNamespace();
  let env: Record<string, string>;
  const issued: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('secrets');
    dir = mkdtempSync(join(tmpdir(), 'tdx-secrets-'));
    logFile = join(dir, 'node.log');
    const databaseUrl = db.url.replace('postgres://postgres@', `postgres://postgres:${encodeURIComponent(DB_PASSWORD)}@`);
    expect(databaseUrl).toContain(DB_PASSWORD);
    const natsUrl = SHARED_NATS_URL.replace('nats://', `nats://${NATS_USER}:${NATS_PASSWORD}@`);
    env = { LOG_LEVEL: 'debug', ADMIN_PASSWORD, METRICS_TOKEN };
    node = await NodeProcess.start({ code: '330000', databaseUrl, natsUrl, natsNamespace: namespace, keyFile: join(dir, 'node.pem'), env }, { logFile });
  });
  afterAll(async () => {
    await node?.stop();
    await db?.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${node.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('prints none of them while the node signs people in and out, refuses bad input, and restarts', async () => {
    expect((await post('/api/v1/auth/login', { username: 'admin', password: `${ADMIN_PASSWORD}x` })).status).toBe(401);
    expect((await post('/api/v1/auth/login', { username: 'nobody', password: ADMIN_PASSWORD })).status).toBe(401);
    const signedIn = await post('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    expect(signedIn.status).toBe(200);
    const { accessToken, refreshToken } = signedIn.body as { accessToken: string; refreshToken: string };
    issued.push(accessToken, refreshToken);
    const refreshed = await post('/api/v1/auth/refresh', { refreshToken });
    expect(refreshed.status).toBe(200);
    issued.push(String(refreshed.body.accessToken), String(refreshed.body.refreshToken));
    // A refresh token used twice, a forged access token, a malformed body holding the password.
    expect((await post('/api/v1/auth/refresh', { refreshToken })).status).toBe(401);
    expect((await fetch(`${node.url}/api/v1/institutions`, { headers: { authorization: `Bearer ${accessToken}x` } })).status).toBe(401);
    expect((await post('/api/v1/auth/login', `{"username": "admin", "password": "${ADMIN_PASSWORD}`)).status).toBe(400);
    expect((await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN.slice(1)}` } })).status).toBe(401);
    // The reuse above ended that sign-in: its rotated access token is refused too.
    expect((await fetch(`${node.url}/api/v1/institutions`, { headers: { authorization: `Bearer ${String(refreshed.body.accessToken)}` } })).status).toBe(401);

    await node.stop();
    await node.restart();
    expect((await post('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).status).toBe(200);
    await node.stop();

    const log = readFileSync(logFile, 'utf8');
    // The log is real: the node started twice at debug level and talked to its database and NATS.
    expect(log.match(/listening on/g)).toHaveLength(2);
    expect(log).toMatch(/connected to NATS/);
    const privateKey = readFileSync(join(dir, 'node.pem'), 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('-----'))
      .join('');
    expectNoSecret(log, [DB_PASSWORD, NATS_PASSWORD, `${NATS_USER}:${NATS_PASSWORD}`, ADMIN_PASSWORD, METRICS_TOKEN, privateKey, ...issued]);
  });

  it.each([
    ['a bad rate limit', { SIGNIN_RATE_LIMIT: 'lots' }, ['SIGNIN_RATE_LIMIT']],
    ['a bad database URL holding a password', { DATABASE_URL: `mysql://root:${DB_PASSWORD}@db/tdx` }, ['DATABASE_URL']],
    [
      'a weak ADMIN_PASSWORD beside a bad CORS list',
      { ADMIN_PASSWORD: 'admin', CORS_ORIGINS: `https://x.example/${METRICS_TOKEN}` },
      ['ADMIN_PASSWORD', 'CORS_ORIGINS'],
    ],
  ])('refuses to start on %s, naming the variable and no secret', async (_label, bad, names) => {
    const environment = {
      ...process.env,
      NODE_CODE: '330000',
      PORT: '1',
      NATS_URL: `nats://${NATS_USER}:${NATS_PASSWORD}@127.0.0.1:4222`,
      DATABASE_URL: `postgres://postgres:${DB_PASSWORD}@localhost:5432/tdx_none`,
      ADMIN_PASSWORD,
      METRICS_TOKEN,
      LOG_LEVEL: 'debug',
      ...bad,
    };
    const { code, output } = await run(NODE_MAIN, environment);
    expect(code).toBe(2);
    expect(output).toMatch(/^tdx node refuses to start: invalid configuration: /);
    for (const name of names) expect(output).toContain(name);
    expectNoSecret(output, [DB_PASSWORD, NATS_PASSWORD, ADMIN_PASSWORD, METRICS_TOKEN, ...Object.values(bad).filter((v) => v.length > 8)]);
  });
});

/** Fails naming the line and which secret it holds (the secret itself is not repeated). */
function expectNoSecret(text: string, secrets: string[]): void {
  const found = text
    .split('\n')
    .flatMap((line, index) =>
      secrets.flatMap((secret, which) =>
        line.includes(secret) || line.includes(encodeURIComponent(secret)) ? [`line ${index + 1} holds secret #${which}`] : [],
      ),
    );
  expect(found).toEqual([]);
}

function run(main: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
