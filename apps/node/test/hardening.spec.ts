import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { api, authHeaders, createTestDatabase, deleteNamespaceStreams, SHARED_NATS_URL, TEST_ADMIN_PASSWORD, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';

/**
 * HTTP hardening of a node, on real PostgreSQL and NATS: sign-in and open-data
 * rate limits, proxy trust, security headers (Swagger UI included), CORS, body, upload and URL
 * limits, and error answers without internals. Client addresses are told through
 * X-Forwarded-For to a node that trusts its loopback proxy; another node trusts no proxy.
 */
const PORTAL = 'https://portal.example.gov.cn';
const WINDOW_SECONDS = 2;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely and asserted on
type Body = any;

interface Answer {
  status: number;
  headers: Headers;
  body: Body;
}

async function send(base: string, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the text itself.
  }
  return { status: response.status, headers: response.headers, body };
}

function signIn(base: string, client: string, username: string, path = '/api/v1/auth/login'): Promise<Answer> {
  return send(base, 'POST', path, { body: { username, password: 'not-the-password-1' }, headers: { 'x-forwarded-for': client } });
}

/** A 429 in the node's error shape, with Retry-After equal to the seconds in the body. */
function expectTooMany(answer: Answer, what: RegExp): number {
  expect(answer.status).toBe(429);
  expect(answer.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(what) });
  const retryAfter = Number(answer.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(answer.body.retryAfterSeconds).toBe(retryAfter);
  return retryAfter;
}

/** Statuses of an attempt that was let through: whatever the route answers (404 before auth exists, 400, 401), never 429 or 5xx. */
function expectLetThrough(answer: Answer): void {
  expect(answer.status).toBeGreaterThanOrEqual(200);
  expect(answer.status).toBeLessThan(500);
  expect(answer.status).not.toBe(429);
}

/** Sends a body in chunks without Content-Length (chunked encoding), and resolves with the answer, whenever it comes. */
function sendChunked(url: string, headers: Record<string, string>, chunks: Buffer[]): Promise<{ status: number; body: Body }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (part: string) => (text += part));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    // The node may close the connection while chunks are still being written: that is the point.
    request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    const write = (index: number): void => {
      if (index === chunks.length) return void request.end();
      if (request.destroyed) return;
      request.write(chunks[index], () => setImmediate(() => write(index + 1)));
    };
    write(0);
  });
}

describe('HTTP hardening of a node', () => {
  let db: TestDatabase;
  let node: RunningNode;
  let untrusting: RunningNode;
  let untrustingDb: TestDatabase;
  const namespace = testNamespace();
  const otherNamespace = testNamespace();

  beforeAll(async () => {
    db = await createTestDatabase('hardening');
    untrustingDb = await createTestDatabase('hardening_direct');
    node = await startInProcessNode({
      code: '330000',
      databaseUrl: db.url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
      env: {
        TRUST_PROXY: 'loopback',
        SIGNIN_RATE_LIMIT: '3',
        SIGNIN_RATE_LIMIT_PER_ADDRESS: '5',
        SIGNIN_RATE_WINDOW_SECONDS: String(WINDOW_SECONDS),
        PUBLIC_RATE_LIMIT: '4',
        PUBLIC_RATE_WINDOW_SECONDS: '600',
        CORS_ORIGINS: `${PORTAL},http://localhost:8080`,
        JSON_BODY_LIMIT: '16kb',
        UPLOAD_BODY_LIMIT: '8kb',
        MAX_URL_LENGTH: '1024',
      },
    });
    // A province of its own federation (namespace), so that the two nodes never meet.
    untrusting = await startInProcessNode({
      code: '330000',
      databaseUrl: untrustingDb.url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: otherNamespace,
      env: { SIGNIN_RATE_LIMIT: '2', SIGNIN_RATE_WINDOW_SECONDS: '600' },
    });
  });
  afterAll(async () => {
    await node?.stop();
    await untrusting?.stop();
    await db?.drop();
    await untrustingDb?.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    await deleteNamespaceStreams(SHARED_NATS_URL, otherNamespace);
  });

  describe('sign-in rate limit', () => {
    it('refuses a user name from one address after the limit, with Retry-After, and leaves other users and addresses alone', async () => {
      for (let i = 0; i < 3; i++) expectLetThrough(await signIn(node.url, '198.51.100.1', 'alice'));
      expectTooMany(await signIn(node.url, '198.51.100.1', 'alice'), /too many sign-in attempts for this user/);
      // The same user name in another case or through another spelling of the path is the same attempt.
      expectTooMany(await signIn(node.url, '198.51.100.1', 'ALICE'), /sign-in/);
      expectTooMany(await signIn(node.url, '198.51.100.1', 'alice', '/api/v1/auth/login/'), /sign-in/);
      expectTooMany(await signIn(node.url, '198.51.100.1', 'alice', '/API/V1/Auth/Login'), /sign-in/);

      expectLetThrough(await signIn(node.url, '198.51.100.1', 'bob'));
      expectLetThrough(await signIn(node.url, '198.51.100.2', 'alice'));
    });

    it('limits an address across user names, and counts refresh, setup and password-change attempts too', async () => {
      const client = '198.51.100.3';
      expectLetThrough(await signIn(node.url, client, 'u1'));
      expectLetThrough(
        await send(node.url, 'POST', '/api/v1/auth/password', { body: { currentPassword: 'x', newPassword: 'y' }, headers: { 'x-forwarded-for': client } }),
      );
      expectLetThrough(await signIn(node.url, client, 'u3', '/api/v1/auth/refresh'));
      expectLetThrough(await signIn(node.url, client, 'u4', '/api/v1/auth/setup'));
      expectLetThrough(await send(node.url, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: 'x' }, headers: { 'x-forwarded-for': client } }));
      expectTooMany(await signIn(node.url, client, 'u6'), /too many sign-in attempts from this client/);
      expectTooMany(await send(node.url, 'POST', '/api/v1/auth/setup', { body: { token: 'x' }, headers: { 'x-forwarded-for': client } }), /sign-in/);
      expectLetThrough(await signIn(node.url, '198.51.100.4', 'u6'));
    });

    it('lets the user try again once the window has passed', async () => {
      const client = '198.51.100.5';
      for (let i = 0; i < 3; i++) expectLetThrough(await signIn(node.url, client, 'carol'));
      const retryAfter = expectTooMany(await signIn(node.url, client, 'carol'), /sign-in/);
      expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
      expectLetThrough(await signIn(node.url, client, 'carol'));
    });

    it('counts failed attempts only: a successful sign-in is given back, and the right password does not pass a reached limit', async () => {
      const client = '198.51.100.6';
      for (let i = 0; i < 5; i++) {
        expect(
          (
            await send(node.url, 'POST', '/api/v1/auth/login', {
              body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
              headers: { 'x-forwarded-for': client },
            })
          ).status,
        ).toBe(200);
      }
      for (let i = 0; i < 3; i++) expect((await signIn(node.url, client, 'admin')).status).toBe(401);
      expectTooMany(
        await send(node.url, 'POST', '/api/v1/auth/login', {
          body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
          headers: { 'x-forwarded-for': client },
        }),
        /sign-in/,
      );
    });

    it('ignores X-Forwarded-For when TRUST_PROXY is not set, so a client cannot choose its address', async () => {
      expectLetThrough(await signIn(untrusting.url, '192.0.2.1', 'dave'));
      expectLetThrough(await signIn(untrusting.url, '192.0.2.2', 'dave'));
      expectTooMany(await signIn(untrusting.url, '192.0.2.3', 'dave'), /sign-in/);
    });
  });

  describe('open-data rate limit', () => {
    it('limits every request under /api/v1/open per address, and nothing else', async () => {
      const client = { 'x-forwarded-for': '203.0.113.9' };
      for (let i = 0; i < 4; i++) expectLetThrough(await send(node.url, 'GET', `/api/v1/open/datasets?page=${i}`, { headers: client }));
      expectTooMany(await send(node.url, 'GET', '/api/v1/open/datasets', { headers: client }), /open-data/);
      expectTooMany(await send(node.url, 'GET', '/API/v1/Open/anything/else', { headers: client }), /open-data/);
      expectLetThrough(await send(node.url, 'GET', '/api/v1/open/datasets', { headers: { 'x-forwarded-for': '203.0.113.10' } }));
      expect((await send(node.url, 'GET', '/health/live', { headers: client })).status).toBe(200);
      // An IPv6 client is counted by its /64 network: changing the last groups does not escape.
      for (let i = 0; i < 4; i++) expectLetThrough(await send(node.url, 'GET', '/api/v1/open/x', { headers: { 'x-forwarded-for': `2001:db8:5:6::${i + 1}` } }));
      expectTooMany(await send(node.url, 'GET', '/api/v1/open/x', { headers: { 'x-forwarded-for': '2001:db8:5:6:ffff::9' } }), /open-data/);
    });
  });

  describe('security headers', () => {
    function expectCommonHeaders(headers: Headers): void {
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect(headers.get('x-powered-by')).toBeNull();
    }

    it('sends a closed content security policy with every API answer, errors included', async () => {
      for (const answer of [
        await send(node.url, 'GET', '/health/live'),
        await send(node.url, 'GET', '/api/v1/no-such-route'),
        await send(node.url, 'POST', '/api/v1/institutions', { body: '{bad' }),
      ]) {
        expectCommonHeaders(answer.headers);
        expect(answer.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
      }
    });

    it('serves Swagger UI under a policy that allows exactly its own scripts, styles, images and document', async () => {
      const page = await fetch(`${node.url}/api/docs`);
      expect(page.status).toBe(200);
      expectCommonHeaders(page.headers);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).toContain("connect-src 'self'");
      const html = await page.text();
      // No inline script, which the policy would block: every script is a file of this node.
      const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, content] of scripts) {
        expect(content.trim()).toBe('');
        expect(attributes).toMatch(/src="\.?\/?[^":]+"/);
      }
      const assets = [...html.matchAll(/(?:src|href)="\.?\/?([^":]+\.(?:js|css))"/g)].map((m) => m[1]);
      expect(assets.length).toBeGreaterThan(1);
      for (const asset of assets) expect((await fetch(`${node.url}/api/docs/${asset}`)).status).toBe(200);
      const init = await (await fetch(`${node.url}/api/docs/swagger-ui-init.js`)).text();
      expect(init).toContain('SwaggerUIBundle');
      expect((await send(node.url, 'GET', '/api/docs-json')).body).toMatchObject({ openapi: expect.any(String) });
    });
  });

  describe('CORS', () => {
    const preflight = (origin: string) =>
      send(node.url, 'OPTIONS', '/api/v1/catalog/entries', {
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });

    it('answers a listed origin, without credentials', async () => {
      const answer = await preflight(PORTAL);
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe(PORTAL);
      expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
      expect(answer.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
      const simple = await send(node.url, 'GET', '/health/live', { headers: { origin: 'http://localhost:8080' } });
      expect(simple.headers.get('access-control-allow-origin')).toBe('http://localhost:8080');
      expect(simple.headers.get('access-control-expose-headers')).toContain('Retry-After');
      expect(simple.headers.get('vary')).toMatch(/origin/i);
    });

    it('gives any other origin nothing a browser would accept', async () => {
      for (const origin of ['https://evil.example', 'https://portal.example.gov.cn.evil.example', 'http://portal.example.gov.cn', 'null']) {
        expect((await preflight(origin)).headers.get('access-control-allow-origin')).toBeNull();
        expect((await send(node.url, 'GET', '/health/live', { headers: { origin } })).headers.get('access-control-allow-origin')).toBeNull();
      }
      // A node without CORS_ORIGINS allows no origin at all.
      const answer = await send(untrusting.url, 'OPTIONS', '/api/v1/catalog/entries', { headers: { origin: PORTAL, 'access-control-request-method': 'POST' } });
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('request size limits', () => {
    it('refuses a JSON body over JSON_BODY_LIMIT with 413 naming the limit, and changes nothing', async () => {
      const before = await db.query('SELECT count(*)::int AS n FROM institution');
      const big = { ...sampleInstitution(), name: 'x'.repeat(20 * 1024) };
      const answer = await send(node.url, 'POST', '/api/v1/institutions', { body: big });
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'the JSON body is larger than 16 KiB (JSON_BODY_LIMIT); nothing was changed',
      });
      const bulk = await send(node.url, 'POST', '/api/v1/catalog/entries/bulk', {
        body: { entries: Array.from({ length: 200 }, () => sampleEntry(randomUUID())) },
      });
      expect(bulk.status).toBe(413);
      expect(await db.query('SELECT count(*)::int AS n FROM institution')).toEqual(before);
      expect(await db.query('SELECT count(*)::int AS n FROM catalog_entry')).toEqual([{ n: 0 }]);
    });

    it('refuses JSON nested deeper than 64 levels with 400 naming the field, anonymous routes included, and changes nothing', async () => {
      const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
      const before = await db.query('SELECT count(*)::int AS n FROM institution');
      // Within this node's JSON_BODY_LIMIT of 16 KiB.
      for (const [path, body, field] of [
        ['/api/v1/auth/login', `{"username":${nested(5_000)},"password":"x"}`, 'username'],
        ['/api/v1/auth/refresh', `{"refreshToken":${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}}`, 'refreshToken'],
        ['/api/v1/institutions', nested(5_000), 'body'],
      ]) {
        const answer = await send(node.url, 'POST', path, { body });
        expect({ path, status: answer.status, body: answer.body }).toEqual({
          path,
          status: 400,
          body: {
            statusCode: 400,
            error: 'Bad Request',
            message: 'Invalid request',
            fields: [{ field, messages: [`${field} is nested deeper than 64 levels`] }],
          },
        });
      }
      // 64 levels pass the limit (and then fail the DTO as any wrong type does).
      const deepest = await send(node.url, 'POST', '/api/v1/auth/login', { body: `{"username":${nested(63)},"password":"x"}` });
      expect(deepest.status).toBe(400);
      expect(JSON.stringify(deepest.body)).not.toContain('nested deeper');
      expect(await db.query('SELECT count(*)::int AS n FROM institution')).toEqual(before);
    });

    it('refuses a lone UTF-16 surrogate anywhere in a body with 400 naming the field, anonymous routes included', async () => {
      const answer = await send(node.url, 'POST', '/api/v1/auth/login', { body: '{"username":"ad\\ud800min","password":"x"}' });
      expect(answer).toMatchObject({ status: 400, body: { fields: [{ field: 'username', messages: [expect.stringContaining('lone UTF-16 surrogate')] }] } });
      const headers = await authHeaders(node.url);
      const before = await db.query('SELECT count(*)::int AS n FROM institution');
      const institution = await send(node.url, 'POST', '/api/v1/institutions', { body: { ...sampleInstitution(), name: 'Bureau \udfff' }, headers });
      expect(institution).toMatchObject({ status: 400, body: { fields: [{ field: 'name' }] } });
      expect(await db.query('SELECT count(*)::int AS n FROM institution')).toEqual(before);
    });

    describe('dataset uploads over UPLOAD_BODY_LIMIT', () => {
      let entryId: string;
      const header = 'row_key,region_code,uscc,legal_person_id\n';
      const rows = (from: number, count: number) =>
        Array.from({ length: count }, (_, i) => `k${from + i},330106,91330000MA${from + i},ID${from + i}\n`).join('');
      const rowCount = async () => (await db.query('SELECT count(*)::int AS n FROM dataset_row'))[0].n;

      beforeAll(async () => {
        const institution = await api(node.url, 'POST', '/api/v1/institutions', sampleInstitution());
        const entry = await api(node.url, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id));
        expect(entry.status).toBe(201);
        entryId = entry.body.id;
      });

      it('loads an upload under the limit', async () => {
        const answer = await send(node.url, 'POST', `/api/v1/datasets/${entryId}/rows`, {
          body: header + rows(0, 50),
          headers: { 'content-type': 'text/csv', ...(await authHeaders(node.url)) },
        });
        expect(answer).toMatchObject({ status: 200, body: { inserted: 50 } });
      });

      it('refuses a declared Content-Length over the limit before reading it', async () => {
        const answer = await send(node.url, 'POST', `/api/v1/datasets/${entryId}/rows`, {
          body: header + rows(100, 400),
          headers: { 'content-type': 'text/csv', ...(await authHeaders(node.url)) },
        });
        expect(answer.status).toBe(413);
        expect(answer.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large', message: expect.stringContaining('UPLOAD_BODY_LIMIT') });
        expect(answer.headers.get('connection')).toBe('close');
        expect(await rowCount()).toBe(50);
      });

      it('stops a streamed upload at the limit with 413, nothing loaded', async () => {
        const chunks = [Buffer.from(header), ...Array.from({ length: 40 }, (_, i) => Buffer.from(rows(1000 + i * 10, 10)))];
        const answer = await sendChunked(
          `${node.url}/api/v1/datasets/${entryId}/rows`,
          { 'content-type': 'text/csv', 'transfer-encoding': 'chunked', ...(await authHeaders(node.url)) },
          chunks,
        );
        expect(answer).toMatchObject({ status: 413, body: { statusCode: 413, message: expect.stringContaining('UPLOAD_BODY_LIMIT') } });
        expect(await rowCount()).toBe(50);
      });

      it('counts a gzip upload after decompression', async () => {
        const compressed = gzipSync(header + rows(5000, 400));
        expect(compressed.length).toBeLessThan(8 * 1024);
        const response = await fetch(`${node.url}/api/v1/datasets/${entryId}/rows`, {
          method: 'POST',
          headers: { 'content-type': 'text/csv', 'content-encoding': 'gzip', ...(await authHeaders(node.url)) },
          body: compressed,
        });
        expect(response.status).toBe(413);
        expect(await rowCount()).toBe(50);
      });
    });

    it('refuses a URL over MAX_URL_LENGTH with 414', async () => {
      const answer = await send(node.url, 'GET', `/api/v1/catalog/entries?q=${'a'.repeat(1100)}`);
      expect(answer.status).toBe(414);
      expect(answer.body).toMatchObject({ statusCode: 414, error: 'URI Too Long', message: expect.stringContaining('MAX_URL_LENGTH') });
    });

    it('refuses request headers over MAX_HEADER_BYTES with 431', async () => {
      const answer = await send(node.url, 'GET', '/health/live', { headers: { 'x-filler': 'a'.repeat(20 * 1024) } });
      expect(answer.status).toBe(431);
    });
  });

  describe('errors', () => {
    it('never answer with a stack trace or internals', async () => {
      // Signed in, so that the requests get past the guard to the parsers and pipes.
      const headers = await authHeaders(node.url);
      const answers = [
        await send(node.url, 'POST', '/api/v1/institutions', { body: '{"name": "x",', headers }),
        await send(node.url, 'GET', '/api/v1/catalog/entries/%E0%A4%A', { headers }),
        await send(node.url, 'GET', '/api/v1/catalog/entries?limit=abc&cursor=%%%', { headers }),
        await send(node.url, 'POST', '/api/v1/catalog/entries', { body: '[]', headers }),
        await send(node.url, 'GET', '/api/v1/catalog/entries', { headers: { authorization: 'Bearer not.a.token' } }),
      ];
      expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400, 401]);
      for (const answer of answers) {
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        expect(typeof answer.body).toBe('object');
        const text = JSON.stringify(answer.body);
        expect(text).not.toMatch(/\bat .+\.(js|ts):\d+/);
        expect(text).not.toMatch(/node_modules|\/work\/|stack/i);
        expect(answer.headers.get('content-type')).toMatch(/application\/json/);
      }
    });
  });
});
