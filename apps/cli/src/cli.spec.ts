import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { run } from './cli';
import { ApiError, exitCodeOf, OperationFailed, UnreachableError, UsageError } from './errors';
import { type Answer, answerJson, startStandInNode } from '../test/support/stand-in-node';

/** A data entry's UUID (a code would be looked up in the catalog first). */
const ENTRY = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

/** A stand-in node over real HTTP: each test says what it answers. */
let handler: Answer;
let server: Awaited<ReturnType<typeof startStandInNode>>;
let base: string;
const seen: { method?: string; url?: string; body: string; contentType?: string }[] = [];

beforeAll(async () => {
  server = await startStandInNode((req, body, res) => {
    seen.push({ method: req.method, url: req.url, body, contentType: req.headers['content-type'] });
    handler(req, body, res);
  });
  base = server.base;
});
afterAll(() => server.close());
beforeEach(() => (seen.length = 0));

function reply(status: number, body: unknown): Answer {
  return (_req, _body, res) => answerJson(res, status, body);
}

async function tdx(...argv: string[]) {
  const out = {
    text: '',
    isTTY: false,
    write(s: string) {
      this.text += s;
    },
  };
  const err = {
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
  const code = await run([...argv, '--node', base], { out, err, env: {}, sleep: async () => undefined });
  return { code, out: out.text, err: err.text };
}

describe('exit codes', () => {
  it('maps each kind of failure to its code', () => {
    expect(exitCodeOf(new UsageError('x'))).toBe(2);
    expect(exitCodeOf(new ApiError('GET', 'u', 404, {}))).toBe(1);
    expect(exitCodeOf(new ApiError('GET', 'u', 422, {}))).toBe(1);
    expect(exitCodeOf(new ApiError('GET', 'u', 500, {}))).toBe(3);
    expect(exitCodeOf(new ApiError('GET', 'u', 503, 'bad gateway'))).toBe(3);
    expect(exitCodeOf(new UnreachableError('http://x', 'ECONNREFUSED'))).toBe(3);
    expect(exitCodeOf(new OperationFailed('job failed'))).toBe(1);
    expect(exitCodeOf(new Error('bug'))).toBe(70);
  });
});

describe('tdx against a stand-in node', () => {
  it('tdx node prints who the node is', async () => {
    handler = reply(200, {
      code: '330106',
      name: '西湖区',
      level: 'county',
      publicKey: 'k',
      parent: { code: '330100', name: '杭州市', link: { joined: true } },
      children: [],
    });
    const r = await tdx('node');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('node      330106 西湖区 (county)');
    expect(r.out).toContain('parent    330100 杭州市 (joined)');
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/v1/node' });
  });

  it('a 422 refusal: exit 1, the message, rule and article', async () => {
    handler = reply(422, { statusCode: 422, error: 'Unprocessable Entity', message: 'sharing is refused by law', rule: 'share-none', article: 'Article 10' });
    const r = await tdx('return', 'request', '--entry', ENTRY, '--holder', '330000', '--purpose', 'audit');
    expect(r.code).toBe(1);
    expect(r.err).toContain('tdx: the node refused (422 Unprocessable Entity): sharing is refused by law');
    expect(r.err).toContain('rule share-none (Article 10)');
    expect(JSON.parse(seen[0].body)).toEqual({ entryId: ENTRY, holder: '330000', scope: 'self', purpose: 'audit' });
  });

  it('a 400 with fields names each field', async () => {
    handler = reply(400, {
      statusCode: 400,
      error: 'Bad Request',
      message: 'invalid body',
      fields: [{ field: 'holder', messages: ['must be a division code'] }],
    });
    const r = await tdx('return', 'request', '--entry', ENTRY, '--holder', '330000', '--purpose', 'p');
    expect(r.code).toBe(1);
    expect(r.err).toContain('holder: must be a division code');
  });

  it('a 5xx is exit 3', async () => {
    handler = reply(500, { statusCode: 500, message: 'Internal server error' });
    expect((await tdx('return', 'list')).code).toBe(3);
  });

  it('a node that is down: exit 3 naming the URL', async () => {
    const r = await run(['node', '--node', 'http://127.0.0.1:1'], { out: { write: () => undefined }, err: { write: () => undefined }, env: {} });
    expect(r).toBe(3);
  });

  it('--json puts the error as one document on stdout', async () => {
    handler = reply(404, { statusCode: 404, error: 'Not Found', message: 'no such request' });
    const r = await tdx('return', 'show', 'r9', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual({
      error: {
        kind: 'api',
        status: 404,
        method: 'GET',
        url: `${base}/api/v1/returns/requests/r9`,
        body: { statusCode: 404, error: 'Not Found', message: 'no such request' },
        exitCode: 1,
      },
    });
  });

  it('a request refused outright (state rejected) fails with exit 1', async () => {
    handler = reply(201, {
      id: 'r1',
      entryId: 'e',
      holder: '330000',
      requester: '330106',
      scope: 'self',
      purpose: 'p',
      state: 'rejected',
      reason: 'legal basis: none',
      history: [],
    });
    const r = await tdx('return', 'request', '--entry', ENTRY, '--holder', '330000', '--purpose', 'p');
    expect(r.code).toBe(1);
    expect(r.err).toContain('the request was rejected: legal basis: none');
  });

  it('data load streams the file with its content type and prints the counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdx-cli-'));
    const file = join(dir, 'rows.csv');
    writeFileSync(file, 'row_key,region_code\na,330106\nb,330106\n');
    handler = reply(200, { entryId: ENTRY, rowsRead: 2, inserted: 2, updated: 0, unchanged: 0, lastChangeSeq: 2 });
    const r = await tdx('data', 'load', file, '--entry', ENTRY);
    expect(r.code).toBe(0);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: `/api/v1/datasets/${ENTRY}/rows`,
      body: 'row_key,region_code\na,330106\nb,330106\n',
      contentType: 'text/csv',
    });
    expect(r.out).toMatch(/loaded 2 rows in .* 2 inserted, 0 updated, 0 unchanged; change sequence now 2/);
    expect(r.out).toMatch(/\[#+\] 100% 38 B\/38 B {2}2 rows/);
  });

  it('data load prints the bad lines of a 400', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdx-cli-'));
    const file = join(dir, 'rows.ndjson');
    writeFileSync(file, '{"a":1}\n');
    handler = reply(400, {
      statusCode: 400,
      error: 'Bad Request',
      message: '2 bad rows',
      errors: [
        { line: 2, message: 'region 310101 is outside 330000' },
        { line: 5, message: 'unterminated quote' },
      ],
      truncated: true,
    });
    const r = await tdx('data', 'load', file, '--entry', ENTRY);
    expect(r.code).toBe(1);
    expect(seen[0].contentType).toBe('application/x-ndjson');
    expect(r.err).toContain('line 2: region 310101 is outside 330000\n  line 5: unterminated quote\n  ... and maybe more: the node stopped looking here');
  });

  it('data load sends a .gz file as it is, with Content-Encoding: gzip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdx-cli-'));
    const file = join(dir, 'rows.ndjson.gz');
    writeFileSync(file, gzipSync('{"rowKey":"a","regionCode":"330106"}\n'));
    let encoding: string | undefined;
    handler = (req, body, res) => {
      encoding = req.headers['content-encoding'];
      reply(200, { entryId: ENTRY, rowsRead: 1, inserted: 1, updated: 0, unchanged: 0, lastChangeSeq: 1 })(req, body, res);
    };
    const r = await tdx('data', 'load', file, '--entry', ENTRY);
    expect(r.code).toBe(0);
    expect(encoding).toBe('gzip');
    expect(seen[0].contentType).toBe('application/x-ndjson');
    expect(r.out).toContain('(ndjson, gzip, ');
  });

  it('data load --entry CODE looks the code up before sending a byte, and an unknown code fails at once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tdx-code-')), 'rows.csv');
    writeFileSync(file, 'row_key,region_code,name\nk1,330106,a\n');
    handler = reply(200, { items: [{ id: ENTRY, code: 'E-10', origin: '330000' }], nextCursor: null });
    const unknown = await tdx('data', 'load', file, '--entry', 'E-1');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no catalog entry has the code "E-1"');
    // One catalog search (its near miss E-10 is no match), and no upload.
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /api/v1/catalog/entries?q=E-1&status=all&limit=500']);

    seen.length = 0;
    handler = (req, _body, res) =>
      req.method === 'GET'
        ? answerJson(res, 200, { items: [{ id: ENTRY, code: 'E-10', origin: '330000' }], nextCursor: null })
        : answerJson(res, 200, { entryId: ENTRY, rowsRead: 1, inserted: 1, updated: 0, unchanged: 0, lastChangeSeq: 1 });
    const known = await tdx('data', 'load', file, '--entry', 'E-10');
    expect(known.code).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /api/v1/catalog/entries?q=E-10&status=all&limit=500', `POST /api/v1/datasets/${ENTRY}/rows`]);
  });

  it('return list follows the pages and shows a table', async () => {
    const request = (id: string) => ({
      id,
      entryId: ENTRY,
      entry: { name: 'Enterprise register', code: 'E-1' },
      holder: '330000',
      requester: '330106',
      scope: 'self',
      purpose: 'p',
      state: 'pending',
      reason: null,
      createdAt: 't',
      updatedAt: 't',
    });
    handler = (req, body, res) => {
      const cursor = new URL(req.url ?? '', 'http://x').searchParams.get('cursor');
      reply(200, cursor ? { items: [request('r2')], nextCursor: null } : { items: [request('r1')], nextCursor: 'c1' })(req, body, res);
    };
    const r = await tdx('return', 'list', '--direction', 'incoming', '--state', 'pending');
    expect(r.code).toBe(0);
    expect(seen.map((s) => s.url)).toEqual([
      '/api/v1/returns/requests?limit=500&direction=incoming&state=pending',
      '/api/v1/returns/requests?limit=500&direction=incoming&state=pending&cursor=c1',
    ]);
    expect(r.out.split('\n').slice(0, 4)).toEqual([
      'id  state    entry                code  holder  requester  scope  updated',
      '--  -------  -------------------  ----  ------  ---------  -----  -------',
      'r1  pending  Enterprise register  E-1   330000  330106     self   t',
      'r2  pending  Enterprise register  E-1   330000  330106     self   t',
    ]);
  });

  it('return rows shows a page of returned rows with the next cursor', async () => {
    handler = reply(200, { items: [{ rowKey: 'h1', regionCode: '330106', data: { name: 'Alpha', phone: '138****5678' }, sourceSeq: 3 }], nextCursor: 'k1' });
    const r = await tdx('return', 'rows', 'r1', '--region', '330106', '--columns', 'name,phone', '--limit', '1');
    expect(r.code).toBe(0);
    expect(seen[0].url).toBe('/api/v1/returns/requests/r1/rows?region=330106&columns=name%2Cphone&limit=1');
    expect(r.out).toBe(
      'row_key  region_code  name   phone\n-------  -----------  -----  -----------\nh1       330106       Alpha  138****5678\nnext page: --cursor k1\n',
    );
    expect((await tdx('return', 'rows', 'r1', '--limit', '0')).code).toBe(2);
  });

  it('data load of a missing file or an unknown format is a usage error', async () => {
    expect((await tdx('data', 'load', '/nonexistent/rows.csv', '--entry', ENTRY)).code).toBe(2);
    const r = await tdx('data', 'load', 'rows.txt', '--entry', ENTRY);
    expect(r).toMatchObject({ code: 2 });
    expect(r.err).toContain('give --format csv or --format ndjson');
  });

  it('return watch follows a job to done (exit 0) or failed (exit 1)', async () => {
    const states = [
      { state: 'queued', rowsDone: 0, rowsTotal: null, ratePerSec: null, etaSeconds: null },
      { state: 'running', rowsDone: 500, rowsTotal: 1000, ratePerSec: 250, etaSeconds: 2 },
      { state: 'done', rowsDone: 1000, rowsTotal: 1000, ratePerSec: 250, etaSeconds: 0 },
    ];
    let i = 0;
    handler = (req, body, res) =>
      reply(200, {
        id: 'j1',
        requestId: 'r1',
        kind: 'full',
        lastError: null,
        startedAt: '2026-01-01T00:00:00Z',
        finishedAt: '2026-01-01T00:00:04Z',
        ...states[Math.min(i++, 2)],
      })(req, body, res);
    const done = await tdx('return', 'watch', 'j1');
    expect(done.code).toBe(0);
    expect(done.out).toContain('job j1 done: 1,000 rows in 4.0 s (250 rows/s)');
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/returns/jobs/j1', '/api/v1/returns/jobs/j1', '/api/v1/returns/jobs/j1']);

    handler = reply(200, {
      id: 'j2',
      requestId: 'r1',
      kind: 'full',
      state: 'failed',
      rowsDone: 10,
      rowsTotal: 1000,
      ratePerSec: null,
      etaSeconds: null,
      lastError: 'checksum mismatch',
      startedAt: null,
      finishedAt: null,
    });
    const failed = await tdx('return', 'watch', 'j2');
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('job j2 failed: checksum mismatch');
  });

  it('usage errors are exit 2 and print the usage', async () => {
    const r = await tdx('return', 'approve');
    expect(r.code).toBe(2);
    expect(r.err).toContain('tdx: missing ID');
    expect(r.err).toContain('usage: tdx return approve ID');
  });
});
