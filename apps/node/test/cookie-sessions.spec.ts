// The console's sessions (X-TDX-Session: cookie): the refresh token only in an HttpOnly,
// SameSite=Strict cookie on /api/v1/auth, rotated at each refresh, ended at sign-out; refresh
// without the header refused; hostile Cookie headers answered 401; Secure over https as the proxy
// trust tells, or always. Body mode (the CLI) unchanged. And GET /auth/me's permissions by role.
import { request as httpRequest } from 'node:http';
import { PERMISSIONS } from '@tdx/contracts';
import { api, apiWith, createTestDatabase, deleteNamespaceStreams, SHARED_NATS_URL, TEST_ADMIN_PASSWORD, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';
import { accountWith } from './support/auth';

const namespace = testNamespace();
const dbs: TestDatabase[] = [];
const nodes: RunningNode[] = [];
afterAll(async () => {
  for (const node of nodes) await node.stop();
  for (const db of dbs) await db.drop();
  await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
});

async function start(label: string, code: string, env: Record<string, string> = {}): Promise<RunningNode> {
  const db = await createTestDatabase(label);
  dbs.push(db);
  const node = await startInProcessNode({
    code,
    parentCode: code === '330000' ? undefined : '330000',
    databaseUrl: db.url,
    natsUrl: SHARED_NATS_URL,
    natsNamespace: namespace,
    env,
  });
  nodes.push(node);
  return node;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  setCookie: string[];
}

/** A POST with the headers given as they are (fetch would refuse some hostile ones). */
function post(base: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const { hostname, port } = new URL(base);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        method: 'POST',
        path,
        headers: { ...headers, ...(text ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const setCookie = res.headers['set-cookie'] ?? [];
          resolve({ status: res.statusCode ?? 0, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {}, setCookie });
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

const COOKIE_MODE = { 'X-TDX-Session': 'cookie' };
const ADMIN = { username: 'admin', password: TEST_ADMIN_PASSWORD };

/** The token in a `tdx_refresh=<token>; ...` Set-Cookie, and its attributes. */
function refreshCookie(answer: Answer): { token: string; attributes: string[] } {
  const cookies = answer.setCookie.filter((c) => c.startsWith('tdx_refresh='));
  expect(cookies).toHaveLength(1);
  const [pair, ...attributes] = cookies[0].split(';').map((p) => p.trim());
  return { token: pair.slice('tdx_refresh='.length), attributes };
}

describe('cookie sessions', () => {
  let node: RunningNode;
  beforeAll(async () => {
    node = await start('cookie_sessions', '330000', { REFRESH_TOKEN_TTL: '3600' });
  });

  it('login sets an HttpOnly SameSite=Strict cookie on /api/v1/auth for the token lifetime and answers no refresh token', async () => {
    const answer = await post(node.url, '/api/v1/auth/login', COOKIE_MODE, ADMIN);
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType']);
    expect(answer.body.tokenType).toBe('Bearer');
    const cookie = refreshCookie(answer);
    expect(cookie.token).toMatch(/^tdxr_[A-Za-z0-9_-]{43}$/);
    expect(cookie.attributes.sort()).toEqual(['HttpOnly', 'Max-Age=3600', 'Path=/api/v1/auth', 'SameSite=Strict']);
    expect((await apiWith(String(answer.body.accessToken), node.url, 'GET', '/api/v1/auth/me')).body.username).toBe('admin');

    // Body mode as before: the pair in the body, no cookie.
    const body = await post(node.url, '/api/v1/auth/login', {}, ADMIN);
    expect(body.status).toBe(200);
    expect(Object.keys(body.body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
    expect(body.setCookie).toEqual([]);
  });

  it('refresh reads the cookie, needs the header, rotates the cookie, and refuses a used-up one', async () => {
    const first = refreshCookie(await post(node.url, '/api/v1/auth/login', COOKIE_MODE, ADMIN)).token;

    // Without the header the cookie is not read: body mode wants its field, and the cookie's token is not used up.
    const noHeader = await post(node.url, '/api/v1/auth/refresh', { Cookie: `tdx_refresh=${first}` }, {});
    expect(noHeader.status).toBe(400);
    expect(JSON.stringify(noHeader.body)).toContain('refreshToken');
    expect(noHeader.setCookie).toEqual([]);

    const refreshed = await post(node.url, '/api/v1/auth/refresh', { ...COOKIE_MODE, Cookie: `tdx_refresh=${first}` });
    expect(refreshed.status).toBe(200);
    expect(Object.keys(refreshed.body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType']);
    const second = refreshCookie(refreshed);
    expect(second.token).not.toBe(first);
    expect(second.attributes).toContain('HttpOnly');
    expect((await apiWith(String(refreshed.body.accessToken), node.url, 'GET', '/api/v1/auth/me')).status).toBe(200);

    // The first token again: used up, so the whole sign-in ends and the browser is told to drop the cookie.
    const replay = await post(node.url, '/api/v1/auth/refresh', { ...COOKIE_MODE, Cookie: `tdx_refresh=${first}` });
    expect(replay.status).toBe(401);
    expect(refreshCookie(replay)).toEqual({ token: '', attributes: expect.arrayContaining(['Max-Age=0', 'Path=/api/v1/auth', 'HttpOnly']) });
    expect((await post(node.url, '/api/v1/auth/refresh', { ...COOKIE_MODE, Cookie: `tdx_refresh=${second.token}` })).status).toBe(401);
    expect((await apiWith(String(refreshed.body.accessToken), node.url, 'GET', '/api/v1/auth/me')).status).toBe(401);
  });

  it('logout ends the session and clears the cookie', async () => {
    const login = await post(node.url, '/api/v1/auth/login', COOKIE_MODE, ADMIN);
    const token = refreshCookie(login).token;
    const logout = await post(node.url, '/api/v1/auth/logout', { ...COOKIE_MODE, Cookie: `other=1; tdx_refresh=${token}` });
    expect(logout.status).toBe(204);
    expect(refreshCookie(logout).attributes).toContain('Max-Age=0');
    expect((await post(node.url, '/api/v1/auth/refresh', { ...COOKIE_MODE, Cookie: `tdx_refresh=${token}` })).status).toBe(401);
    expect((await apiWith(String(login.body.accessToken), node.url, 'GET', '/api/v1/auth/me')).status).toBe(401);
    // Without a cookie there is nothing to end: still 204, still cleared.
    const again = await post(node.url, '/api/v1/auth/logout', COOKIE_MODE);
    expect(again.status).toBe(204);
    expect(refreshCookie(again).attributes).toContain('Max-Age=0');
  });

  it('answers hostile Cookie headers 401, never 500', async () => {
    const valid = refreshCookie(await post(node.url, '/api/v1/auth/login', COOKIE_MODE, ADMIN)).token;
    const hostile = [
      '',
      'tdx_refresh',
      'tdx_refresh=',
      'tdx_refresh=""',
      'tdx_refresh="unterminated',
      `tdx_refresh=${valid}; tdx_refresh=${valid}`,
      `tdx_refresh=${valid}x; tdx_refresh=${valid}`,
      'tdx_refresh=../../etc/passwd',
      'tdx_refresh=%00%ff',
      'tdx_refresh=tdxr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      `tdx_refresh=${'a'.repeat(8000)}`,
      ';;;=;==;tdx_refresh==;',
      '=tdx_refresh',
      'TDX_REFRESH=' + valid,
      '\u00e9\u00e8=\u00ff; tdx_refresh=\u00e9',
      Array.from({ length: 500 }, (_, i) => `c${i}=v`).join('; '),
    ];
    for (const cookie of hostile) {
      const answer = await post(node.url, '/api/v1/auth/refresh', { ...COOKIE_MODE, Cookie: cookie });
      expect([cookie.slice(0, 40), answer.status]).toEqual([cookie.slice(0, 40), 401]);
      expect(answer.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
    // None of them used up the valid token.
    expect((await post(node.url, '/api/v1/auth/refresh', { ...COOKIE_MODE, Cookie: `tdx_refresh=${valid}` })).status).toBe(200);
  });

  it('refuses another origin the preflight for the session header', async () => {
    const preflight = await fetch(`${node.url}/api/v1/auth/refresh`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://elsewhere.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-tdx-session' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('the Secure flag', () => {
  it('is set behind a trusted https proxy, ignored from an untrusted one, and always with SESSION_COOKIE_SECURE=always', async () => {
    const behindProxy = await start('cookie_proxy', '330100', { TRUST_PROXY: 'loopback' });
    const direct = await start('cookie_direct', '330200');
    const always = await start('cookie_always', '330300', { SESSION_COOKIE_SECURE: 'always' });
    const https = { ...COOKIE_MODE, 'X-Forwarded-Proto': 'https' };
    const secure = async (node: RunningNode, headers: Record<string, string>) =>
      refreshCookie(await post(node.url, '/api/v1/auth/login', headers, ADMIN)).attributes.includes('Secure');
    expect(await secure(behindProxy, https)).toBe(true);
    expect(await secure(behindProxy, COOKIE_MODE)).toBe(false);
    expect(await secure(direct, https)).toBe(false);
    expect(await secure(always, COOKIE_MODE)).toBe(true);
    // The cleared cookie carries the same flag, or a browser would keep the secure one.
    expect(refreshCookie(await post(always.url, '/api/v1/auth/logout', COOKIE_MODE)).attributes).toContain('Secure');
  });

  it('refuses a bad SESSION_COOKIE_SECURE by name', async () => {
    await expect(start('cookie_bad', '330400', { SESSION_COOKIE_SECURE: 'yes' })).rejects.toThrow(/SESSION_COOKIE_SECURE must be auto or always/);
  });
});

describe('GET /api/v1/auth/me: permissions', () => {
  it('lists the effective permissions of the session at this node, sorted, as the guard grants them', async () => {
    const node = await start('me_permissions', '330500');
    const institution = await api(node.url, 'POST', '/api/v1/institutions', sampleInstitution());
    expect(institution.status).toBe(201);
    const user = await accountWith(node.url, 'clerk', [{ role: 'institution-user', institutionId: institution.body.id }]);
    const auditor = await accountWith(node.url, 'reviewer', [{ role: 'auditor' }]);

    const operator = (await api(node.url, 'GET', '/api/v1/auth/me')).body.permissions as string[];
    expect(operator).toEqual([...PERMISSIONS].sort());
    const clerk = (await apiWith(user.token, node.url, 'GET', '/api/v1/auth/me')).body.permissions as string[];
    expect(clerk).toEqual([
      'catalog:read',
      'datasets:read',
      'institutions:read',
      'node:read',
      'returns:read',
      'returns:request',
      'self',
      'shares:query',
      'shares:read',
      'shares:request',
    ]);
    const reviewer = (await apiWith(auditor.token, node.url, 'GET', '/api/v1/auth/me')).body.permissions as string[];
    expect(reviewer).toEqual(['audit:read', 'self']);

    // What the list says is what the API does.
    for (const [token, permissions] of [
      [user.token, clerk],
      [auditor.token, reviewer],
    ] as const) {
      expect((await apiWith(token, node.url, 'GET', '/api/v1/institutions')).status).toBe(permissions.includes('institutions:read') ? 200 : 403);
      expect((await apiWith(token, node.url, 'GET', '/api/v1/audit')).status).toBe(permissions.includes('audit:read') ? 200 : 403);
      expect((await apiWith(token, node.url, 'GET', '/api/v1/metrics/history?series=http-requests&hours=1')).status).toBe(
        permissions.includes('metrics:read') ? 200 : 403,
      );
    }
  });
});
