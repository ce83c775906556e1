import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  anonymous,
  api,
  apiWith,
  assertEvery,
  authHeaders,
  createTestDatabase,
  deleteNamespaceStreams,
  eventually,
  SHARED_NATS_URL,
  TEST_ADMIN_PASSWORD,
  TestDatabase,
  testNamespace,
} from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';
import { accountWith } from './support/auth';
import { slowUpload } from './support/slow-client';

/**
 * Slow clients and heavy reads against one county node on real PostgreSQL and NATS: uploads are
 * spooled before they take a database connection, so ten clients dripping one byte at a time
 * leave health, sign-in and the open catalog answering; work past the limits is refused with
 * 429 or 503 and Retry-After; a client that goes away leaves nothing behind.
 */
const NODE = '330106';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely and asserted on
type Body = any;

describe('long-running work never takes the node from everyone else', () => {
  let db: TestDatabase;
  let node: RunningNode;
  let spoolDir: string;
  let entryId: string;
  const namespace = testNamespace();
  const uploadUrl = () => `${node.url}/api/v1/datasets/${entryId}/rows`;
  const csv = (keys: string[]) => Buffer.from(`row_key,region_code,name\n${keys.map((k) => `${k},${NODE},${'x'.repeat(40)}\n`).join('')}`);
  const spooled = () =>
    readdirSync(spoolDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
  const rowCount = async () => (await db.query('SELECT count(*)::int AS n FROM dataset_row'))[0].n as number;

  function expectBusy(answer: { status: number; headers: Headers; body: Body }, status: 429 | 503, limit: RegExp): void {
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ statusCode: status, message: expect.stringMatching(limit) });
    const retryAfter = Number(answer.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(answer.body.retryAfterSeconds).toBe(retryAfter);
  }

  async function post(url: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; headers: Headers; body: Body }> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/csv', ...headers }, body });
    return { status: response.status, headers: response.headers, body: await response.json() };
  }

  beforeAll(async () => {
    db = await createTestDatabase('work_limits');
    spoolDir = mkdtempSync(join(tmpdir(), 'tdx-spool-test-'));
    node = await startInProcessNode({
      code: NODE,
      parentCode: '330100',
      databaseUrl: db.url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
      env: {
        UPLOAD_CONCURRENCY: '10',
        UPLOAD_CONCURRENCY_PER_INSTITUTION: '10',
        HEAVY_READ_CONCURRENCY: '2',
        HEAVY_READ_CONCURRENCY_PER_INSTITUTION: '1',
        UPLOAD_SPOOL_DIR: spoolDir,
      },
    });
    const institution = await api(node.url, 'POST', '/api/v1/institutions', sampleInstitution());
    const entry = await api(node.url, 'POST', '/api/v1/catalog/entries', {
      type: 'data',
      name: 'Enterprise register',
      summary: 'Registered enterprises',
      providerId: institution.body.id,
      category: 'market-regulation',
      grade: 'L1',
      shareType: 'unconditional',
      openType: 'unconditional',
      updateCycle: 'daily',
      dataItems: [{ name: 'name', type: 'string', sensitive: false }],
    });
    expect(entry.status).toBe(201);
    entryId = entry.body.id;
  });

  afterAll(async () => {
    await node?.stop();
    await db?.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  it('answers health, sign-in and the open catalog while ten slow uploads arrive, refuses more with 429 or 503, then loads all ten', async () => {
    const headers = { 'content-type': 'text/csv', ...(await authHeaders(node.url)) };
    const uploads = Array.from({ length: 10 }, (_, i) => slowUpload(uploadUrl(), headers, csv([`slow-${i}`]), { intervalMs: 150 }));
    // Every upload has begun: each request has reached the node and is being read.
    await eventually(() => assertEvery(uploads, (u) => u.sent >= 3, 'slow uploads past their third chunk'));
    const firstUploadDone = Promise.race(uploads.map((u) => u.answer));
    const checks = Promise.all([
      fetch(`${node.url}/health`).then((r) => r.status),
      anonymous(node.url, 'POST', '/api/v1/auth/login', { username: 'admin', password: TEST_ADMIN_PASSWORD }).then((r) => r.status),
      anonymous(node.url, 'GET', '/api/v1/open/catalog').then((r) => r.status),
    ]);
    // Before any upload ends (and gives its resources back), not merely soon.
    expect(await Promise.race([checks.then(() => 'checks answered'), firstUploadDone.then(() => 'an upload ended')])).toBe('checks answered');
    expect(await checks).toEqual([200, 200, 200]);

    // The same account's share (10) is used up: 429; another account finds the node's (10) used up: 503.
    expectBusy(await post(uploadUrl(), await authHeaders(node.url), csv(['eleventh'])), 429, /UPLOAD_CONCURRENCY_PER_INSTITUTION/);
    const operator = await accountWith(node.url, 'night-operator', [{ role: 'county-operator' }]);
    expectBusy(await post(uploadUrl(), { authorization: `Bearer ${operator.token}` }, csv(['twelfth'])), 503, /UPLOAD_CONCURRENCY\)/);

    expect((await Promise.all(uploads.map((u) => u.answer))).map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(await rowCount()).toBe(10);
    expect(spooled()).toEqual([]);
  }, 60_000);

  it('logs an upload cut off by its client as a client abort, loads nothing, removes its spool file and goes on working', async () => {
    const before = await rowCount();
    const output: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (output.push(String(chunk)), true));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (output.push(String(chunk)), true));
    try {
      const cut = slowUpload(uploadUrl(), { 'content-type': 'text/csv', ...(await authHeaders(node.url)) }, csv(['a', 'b', 'c']), {
        intervalMs: 10,
        abortAfter: 60,
      });
      expect(await cut.answer).toEqual({ status: 0, body: undefined });
      // Recorded as what it is (499, the client closed the request), never as a fault of the node (500).
      await eventually(async () =>
        expect(await db.query(`SELECT outcome FROM audit_record WHERE action = 'POST /api/v1/datasets/:entryId/rows' AND outcome IN ('499', '500')`)).toEqual([
          { outcome: '499' },
        ]),
      );
      await eventually(() => expect(output.join('')).toMatch(/aborted by the client after \d+ bytes; nothing was loaded/));
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    expect(output.join('')).not.toMatch(/Internal Server Error|HttpErrors|ERROR/);
    expect(await rowCount()).toBe(before);
    expect(spooled()).toEqual([]);
    const next = await post(uploadUrl(), await authHeaders(node.url), csv(['after-abort']));
    expect(next).toMatchObject({ status: 200, body: { inserted: 1 } });
  });

  it('limits heavy reads per account and per node with 429 and Retry-After, while health answers', async () => {
    const headers = await authHeaders(node.url);
    const answers = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const response = await fetch(`${node.url}/api/v1/audit/verify`, { headers });
        return { status: response.status, headers: response.headers, body: (await response.json()) as Body };
      }),
    );
    expect((await fetch(`${node.url}/health`)).status).toBe(200);
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    assertEvery(ok, (a) => a.body.ok === true, 'answers within the limit');
    // Ten at once from one account, one at a time allowed: the others are told when to come back.
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const answer of refused) expectBusy(answer, 429, /HEAVY_READ_CONCURRENCY_PER_INSTITUTION/);
    // The limit is the account's: another one is admitted meanwhile.
    const auditor = await accountWith(node.url, 'auditor-one', [{ role: 'auditor' }]);
    expect((await apiWith(auditor.token, node.url, 'GET', '/api/v1/audit/verify')).status).toBe(200);
  });
});
