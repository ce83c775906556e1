// The web console at / on the built node: its files with their caching headers, index.html for
// client-side routes, nothing outside its directory (encoded `..`, backslashes, NUL, dot files,
// symlinks), its own CSP next to the API's, no audit records for its files, and a node whose
// console is not built (it still starts and says so).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { api, createTestDatabase, deleteNamespaceStreams, NodeProcess, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';

const CONSOLE_CSP =
  "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self';connect-src 'self';object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none'";
const API_CSP = "default-src 'none';frame-ancestors 'none'";
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/x-abc123.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("tdx console");';
const SECRET = 'SECRET-OUTSIDE-THE-CONSOLE';

const namespaces: string[] = [];
const dbs: TestDatabase[] = [];
const temp = mkdtempSync(join(tmpdir(), 'tdx-console-'));
afterAll(async () => {
  for (const db of dbs) await db.drop();
  for (const namespace of namespaces) await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  rmSync(temp, { recursive: true, force: true });
});

async function startNode(label: string, code: string, env: Record<string, string>): Promise<NodeProcess> {
  const db = await createTestDatabase(label);
  dbs.push(db);
  const namespace = testNamespace();
  namespaces.push(namespace);
  return NodeProcess.start({ code, databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace, env });
}

/** A request with its path sent exactly as written (fetch would resolve `..` and re-encode). */
function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolveAnswer, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a node with a built console', () => {
  let node: NodeProcess;
  let db: TestDatabase;
  const dir = join(temp, 'dist');

  beforeAll(async () => {
    mkdirSync(join(dir, 'assets', 'fonts'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'x-abc123.js'), SCRIPT);
    writeFileSync(join(dir, 'assets', 'fonts', 'f-1.woff2'), 'font');
    writeFileSync(join(dir, 'assets', '.env'), SECRET);
    writeFileSync(join(temp, 'secret.txt'), SECRET);
    // A link inside assets/ to a file outside the directory, and one to the directory's parent.
    symlinkSync(join(temp, 'secret.txt'), join(dir, 'assets', 'leak.js'));
    symlinkSync(temp, join(dir, 'assets', 'up'));
    node = await startNode('console_built', '330000', { CONSOLE_DIR: dir });
    db = dbs[dbs.length - 1];
  });
  afterAll(() => node?.stop());

  it('serves index.html at / (no-cache) and the hashed files under /assets (immutable), with the console CSP', async () => {
    const index = await fetch(`${node.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(index.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(await index.text()).toBe(INDEX);

    const script = await fetch(`${node.url}/assets/x-abc123.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(await script.text()).toBe(SCRIPT);
    expect((await fetch(`${node.url}/assets/fonts/f-1.woff2`)).status).toBe(200);

    const head = await raw(node.url, 'HEAD', '/assets/x-abc123.js');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(SCRIPT.length));

    // A revalidation of index.html by its ETag answers 304 (raw: fetch adds Cache-Control: no-cache to conditional requests).
    const etag = index.headers.get('etag') as string;
    expect(etag).toBeTruthy();
    expect((await raw(node.url, 'GET', '/', { 'If-None-Match': etag })).status).toBe(304);
  });

  it('answers client-side routes with index.html when the browser asks for a page, and leaves the API, /health and /metrics alone', async () => {
    const page = { Accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' };
    for (const path of ['/institutions', '/catalog/entries/3f0c', '/deep/a/b/c?tab=2']) {
      const answer = await fetch(`${node.url}${path}`, { headers: page });
      expect([path, answer.status, answer.headers.get('cache-control')]).toEqual([path, 200, 'no-cache']);
      expect(await answer.text()).toBe(INDEX);
    }
    const head = await raw(node.url, 'HEAD', '/institutions', page);
    expect([head.status, head.body]).toEqual([200, '']);
    // Not a page: a JSON client, another method.
    const json = await fetch(`${node.url}/institutions`, { headers: { Accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(json.headers.get('content-type')).toMatch(/application\/json/);
    expect((await fetch(`${node.url}/`, { method: 'POST', headers: page })).status).toBe(404);
    // The node's own paths, in any case, are never the console's page.
    for (const path of ['/api/v1/nope', '/API/v1/node', '/api', '/health', '/metrics', '/api/docs-json']) {
      const answer = await fetch(`${node.url}${path}`, { headers: page });
      expect([path, await answer.text()]).not.toEqual([path, INDEX]);
    }
    const api404 = await fetch(`${node.url}/api/v1/nope`, { headers: page });
    expect(api404.status).toBe(404);
    expect(api404.headers.get('content-security-policy')).toBe(API_CSP);
    const health = await fetch(`${node.url}/health`, { headers: page });
    expect(health.headers.get('content-security-policy')).toBe(API_CSP);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
  });

  it('answers 404 for an unknown file under /assets, and never serves a file outside the console directory', async () => {
    const missing = await fetch(`${node.url}/assets/missing-000.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    const hostile = [
      '/assets/',
      '/assets',
      '/assets/../secret.txt',
      '/assets/../../secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2E%2E%2F%2E%2E%2Fsecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/assets/%252e%252e/%252e%252e/secret.txt',
      '/assets/x-abc123.js%00.txt',
      '/assets/%c0%ae%c0%ae/secret.txt',
      '/assets/%',
      '/assets/.env',
      '/assets/%2eenv',
      '/assets/leak.js',
      '/assets/up/secret.txt',
      '/assets//etc/passwd',
      '/assets/%2fetc%2fpasswd',
      '/assets/fonts/../../../secret.txt',
    ];
    for (const path of hostile) {
      const answer = await raw(node.url, 'GET', path, { Accept: '*/*' });
      expect([path, answer.status]).toEqual([path, 404]);
      expect(answer.body).not.toContain(SECRET);
      expect(answer.body).not.toContain('root:');
    }
    // Outside /assets, a page request for such a path gets the console's page, never the file.
    for (const path of ['/../secret.txt', '/%2e%2e/%2e%2e/secret.txt', '/index.html/../../secret.txt']) {
      const answer = await raw(node.url, 'GET', path, { Accept: 'text/html' });
      expect(answer.body).not.toContain(SECRET);
    }
  });

  it('keeps the API policy default-src none, and writes no audit record for the console files', async () => {
    const me = await fetch(`${node.url}/api/v1/auth/me`);
    expect(me.status).toBe(401);
    expect(me.headers.get('content-security-policy')).toBe(API_CSP);
    const before = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_record');
    for (let i = 0; i < 20; i++) {
      await fetch(`${node.url}/`);
      await fetch(`${node.url}/assets/x-abc123.js`);
      await fetch(`${node.url}/assets/missing-${i}.js`);
      await fetch(`${node.url}/route-${i}`, { headers: { Accept: 'text/html' } });
    }
    // A record that would be written is written before the answer or just after it: give it a moment.
    await new Promise((r) => setTimeout(r, 300));
    expect(await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_record')).toEqual(before);
    // The API behind it still answers as before.
    expect((await api(node.url, 'GET', '/api/v1/auth/me')).status).toBe(200);
  });
});

describe('a node without a built console', () => {
  it('starts, warns once, answers / with a 404 saying so, and the API works', async () => {
    const empty = join(temp, 'empty');
    mkdirSync(empty);
    const node = await startNode('console_missing', '330000', { CONSOLE_DIR: empty });
    try {
      const root = await fetch(`${node.url}/`);
      expect(root.status).toBe(404);
      expect(await root.json()).toMatchObject({ statusCode: 404, message: expect.stringMatching(/console is not built/) });
      const route = await fetch(`${node.url}/institutions`, { headers: { Accept: 'text/html' } });
      expect(route.status).toBe(404);
      expect((await fetch(`${node.url}/assets/x-abc123.js`)).status).toBe(404);
      expect((await api(node.url, 'GET', '/api/v1/auth/me')).status).toBe(200);
      const warnings = node.printed().match(/web console is not built/g) ?? [];
      expect(warnings).toHaveLength(1);
      expect(node.printed()).toContain(empty);
    } finally {
      await node.stop();
    }
  });

  it('by default looks for apps/console/dist of the checkout, found from the built node', async () => {
    // LOG_LEVEL log: a built console is named at log level, a missing one at warn (the test kit's default).
    const node = await startNode('console_default', '330000', { LOG_LEVEL: 'log' });
    try {
      expect(node.printed()).toContain(resolve(__dirname, '../../console/dist'));
    } finally {
      await node.stop();
    }
  });
});
