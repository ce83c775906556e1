import { connect } from 'node:net';
import { authHeaders, createTestDatabase, deleteNamespaceStreams, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';

/**
 * Requests as an outsider sends them, byte for byte over a socket (no HTTP client to tidy them
 * up): malformed request lines, raw non-ASCII URLs, bad headers, bodies the parsers refuse,
 * unknown routes and methods. Every refusal, those that happen before the node's routes too (in
 * Node's HTTP parser, Express, the body parser), is JSON in the documented shape
 * {statusCode, error, message} with the status of the line, and never a 5xx.
 */

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** Sends `bytes` on a new connection and reads the answer until the node closes it. */
function sendRaw(port: number, bytes: Buffer | string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    socket.on('data', (part) => parts.push(part));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(parseAnswer(Buffer.concat(parts)));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(bytes);
  });
}

function parseAnswer(raw: Buffer): RawAnswer {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete answer: ${JSON.stringify(raw.toString('latin1'))}`);
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status, headers, text: body.toString('utf8') };
}

function unchunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', pos);
    const size = parseInt(body.subarray(pos, lineEnd).toString('latin1'), 16);
    if (!size) return Buffer.concat(out);
    out.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    pos = lineEnd + 2 + size + 2;
  }
}

/** The answer is a refusal with `status` in the node's JSON shape, and its message matches `what`. */
function expectRefusal(answer: RawAnswer, status: number, what: RegExp): void {
  expect({ status: answer.status, contentType: answer.headers['content-type'] }).toEqual({ status, contentType: expect.stringMatching(/^application\/json/) });
  const body = JSON.parse(answer.text);
  expect(body).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.stringMatching(what) });
  expect(body.error.length).toBeGreaterThan(0);
  // Security headers on refusals made outside the routes too.
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
}

const HOST = 'Host: localhost\r\nConnection: close\r\n';

describe('refusals of raw HTTP requests carry a JSON body', () => {
  let db: TestDatabase;
  let node: RunningNode;
  let port: number;
  let bearer: string;
  const namespace = testNamespace();

  beforeAll(async () => {
    db = await createTestDatabase('raw_requests');
    node = await startInProcessNode({
      code: '330000',
      databaseUrl: db.url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
      env: { JSON_BODY_LIMIT: '1kb', MAX_HEADER_BYTES: '4096', PUBLIC_RATE_LIMIT: '2', PUBLIC_RATE_WINDOW_SECONDS: '600' },
    });
    port = Number(new URL(node.url).port);
    bearer = (await authHeaders(node.url)).authorization;
  });
  afterAll(async () => {
    await node?.stop();
    await db?.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  it('a raw (not percent-encoded) Chinese query string: 400 saying to percent-encode it', async () => {
    const request = Buffer.concat([Buffer.from('GET /api/v1/open/catalog?q='), Buffer.from('杭州 数据', 'utf8'), Buffer.from(` HTTP/1.1\r\n${HOST}\r\n`)]);
    expectRefusal(await sendRaw(port, request), 400, /percent-encod/);
    // Percent-encoded, the same query is answered.
    const encoded = await sendRaw(port, `GET /api/v1/open/catalog?q=${encodeURIComponent('杭州')} HTTP/1.1\r\n${HOST}\r\n`);
    expect(encoded.status).toBe(200);
  });

  it('malformed request lines and heads, refused by the HTTP parser before any route', async () => {
    expectRefusal(await sendRaw(port, `GET /api/v1/open/catalog HTTP/9.9\r\n${HOST}\r\n`), 400, /HTTP version/);
    expectRefusal(await sendRaw(port, `G@T /health/live HTTP/1.1\r\n${HOST}\r\n`), 400, /method/);
    expectRefusal(await sendRaw(port, `GET /health/live HTTP/1.1\r\n${HOST}Bad Header: x\r\n\r\n`), 400, /header/);
    expectRefusal(await sendRaw(port, `GET /health/live HTTP/1.1\r\n${HOST}X-Filler: ${'a'.repeat(8000)}\r\n\r\n`), 431, /MAX_HEADER_BYTES/);
    expectRefusal(
      await sendRaw(
        port,
        `POST /api/v1/auth/login HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      ),
      400,
      /Content-Length|Transfer-Encoding/,
    );
    expectRefusal(
      await sendRaw(
        port,
        `POST /api/v1/auth/login HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      ),
      400,
      /chunk/,
    );
    expectRefusal(await sendRaw(port, `GET /health/live HTTP/1.1\r\n${HOST}Expect: something-odd\r\n\r\n`), 417, /Expect/);
  });

  it('bodies the parsers refuse: bad JSON, too large, another charset or encoding', async () => {
    const post = (headers: string, body: string) =>
      sendRaw(port, `POST /api/v1/auth/login HTTP/1.1\r\n${HOST}${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    expectRefusal(await post('Content-Type: application/json\r\n', '{"username": "x",'), 400, /JSON|Unexpected|Expected/);
    expectRefusal(await post('Content-Type: application/json\r\n', JSON.stringify({ username: 'x'.repeat(2000), password: 'y' })), 413, /JSON_BODY_LIMIT/);
    expectRefusal(await post('Content-Type: application/json; charset=latin1\r\n', '{}'), 415, /charset/);
    expectRefusal(await post('Content-Type: application/json\r\nContent-Encoding: compress\r\n', '{}'), 415, /encoding/);
    // Said to be compressed, and it is not.
    expectRefusal(await post('Content-Type: application/json\r\nContent-Encoding: br\r\n', '{}'), 400, /Content-Encoding/);
  });

  it('bad percent-encoding, unknown routes, methods a route does not have, rate limits and missing sign-in', async () => {
    expectRefusal(await sendRaw(port, `GET /api/v1/catalog/entries/%E0%A4%A HTTP/1.1\r\n${HOST}Authorization: ${bearer}\r\n\r\n`), 400, /./);
    expectRefusal(await sendRaw(port, `GET /no/such/route HTTP/1.1\r\n${HOST}\r\n`), 404, /no\/such\/route/);
    expectRefusal(await sendRaw(port, `DELETE /api/v1/auth/login HTTP/1.1\r\n${HOST}\r\n`), 404, /DELETE/);
    expectRefusal(await sendRaw(port, `GET /api/v1/catalog/entries HTTP/1.1\r\n${HOST}\r\n`), 401, /./);
    const open = () => sendRaw(port, `GET /api/v1/open/catalog HTTP/1.1\r\n${HOST}\r\n`);
    let answer = await open();
    for (let i = 0; i < 3 && answer.status !== 429; i++) answer = await open();
    expectRefusal(answer, 429, /./);
  });
});
