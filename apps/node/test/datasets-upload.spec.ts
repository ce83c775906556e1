import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { api, assertEvery, authHeaders, createTestDatabase, deleteNamespaceStreams, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';

/**
 * Dataset content at county Xihu (330106): streaming CSV and NDJSON loads, upsert and change
 * sequence semantics, every way an upload is refused (each followed by a comparison of the full
 * dataset_row table and its sequence with what they held before), deletion and reading.
 */
const NODE = '330106';

const ITEMS = [
  { name: 'name', type: 'string', sensitive: false },
  { name: 'capital', type: 'integer', sensitive: false },
  { name: 'score', type: 'decimal', sensitive: false },
  { name: 'active', type: 'boolean', sensitive: false },
  { name: 'founded', type: 'date', sensitive: false },
  { name: 'updated', type: 'datetime', sensitive: false },
  { name: 'seal', type: 'binary', sensitive: true },
];
const HEADER = 'row_key,region_code,name,capital,score,active,founded,updated,seal';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read loosely and asserted on
type Body = any;

describe(`dataset content at county ${NODE}`, () => {
  let db: TestDatabase;
  let node: RunningNode;
  const namespace = testNamespace();
  let provider: string;
  let entryId: string;

  async function upload(
    body: string | Buffer,
    contentType = 'text/csv',
    id = entryId,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Body }> {
    const response = await fetch(`${node.url}/api/v1/datasets/${id}/rows`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(await authHeaders(node.url)), ...headers },
      body,
    });
    return { status: response.status, body: await response.json() };
  }

  /**
   * Every row of every dataset, in full. (The dataset_change_seq sequence itself is left out: a
   * refused merge may have drawn numbers from it, and PostgreSQL never takes sequence numbers
   * back. A gap is invisible to readers, who only ever see the change_seq of committed rows.)
   */
  async function table() {
    return db.query('SELECT entry_id, row_key, region_code, data, deleted, change_seq, updated_at FROM dataset_row ORDER BY entry_id, row_key');
  }

  async function rowsOf(id = entryId): Promise<Record<string, { region: string; data: unknown; deleted: boolean; seq: number }>> {
    const rows = await db.query('SELECT row_key, region_code, data, deleted, change_seq FROM dataset_row WHERE entry_id = $1', [id]);
    return Object.fromEntries(rows.map((r: Body) => [r.row_key, { region: r.region_code, data: r.data, deleted: r.deleted, seq: Number(r.change_seq) }]));
  }

  /** Sends an upload that must be refused with `status`, and checks that dataset_row and its sequence did not change. */
  async function refused(status: number, body: string | Buffer, contentType = 'text/csv', id = entryId, headers: Record<string, string> = {}): Promise<Body> {
    const before = await table();
    const response = await upload(body, contentType, id, headers);
    expect({ status: response.status, body: response.body }).toMatchObject({ status });
    expect(await table()).toEqual(before);
    return response.body;
  }

  /** The {line, message} errors of a 400, checked for shape. */
  function errorsOf(body: Body): { line: number; message: string }[] {
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request', truncated: expect.any(Boolean) });
    expect(body.errors.length).toBeGreaterThan(0);
    return body.errors;
  }

  async function newEntry(overrides: Record<string, unknown> = {}): Promise<string> {
    const created = await api(node.url, 'POST', '/api/v1/catalog/entries', {
      type: 'data',
      name: `Enterprise register ${randomUUID().slice(0, 8)}`,
      summary: 'Registered enterprises',
      providerId: provider,
      category: 'market-regulation',
      grade: 'L1',
      shareType: 'unconditional',
      openType: 'unconditional',
      updateCycle: 'daily',
      dataItems: ITEMS,
      ...overrides,
    });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  beforeAll(async () => {
    db = await createTestDatabase('datasets');
    node = await startInProcessNode({ code: NODE, parentCode: '330100', databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
    const institution = await api(node.url, 'POST', '/api/v1/institutions', sampleInstitution());
    expect(institution.status).toBe(201);
    provider = institution.body.id;
    entryId = await newEntry();
  });

  afterAll(async () => {
    await node?.stop();
    await db?.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  describe('loading', () => {
    it('loads RFC 4180 CSV: quotes, escaped quotes, line breaks inside quotes, CRLF, nulls, typed values', async () => {
      const csv =
        '\uFEFF' +
        [
          HEADER,
          'A1,330106,"Hangzhou ""West Lake"" Tea, Ltd.",1000000,12.50,true,2020-02-29,2024-05-01T08:30:00Z,aGVsbG8=',
          'A2,330106,"two\r\nlines",-7,0.5,FALSE,1999-12-31,2024-05-01 08:30:00+08:00,',
          'A3,330106,"",,,,,,',
          'A4,330106,,007,-.25,false,2024-01-01,2024-01-01T00:00,',
        ].join('\r\n') +
        '\r\n';
      const response = await upload(csv, 'text/csv; charset=utf-8');
      expect(response).toEqual({ status: 200, body: { entryId, rowsRead: 4, inserted: 4, updated: 0, unchanged: 0, lastChangeSeq: expect.any(Number) } });
      const rows = await rowsOf();
      expect(Object.keys(rows).sort()).toEqual(['A1', 'A2', 'A3', 'A4']);
      expect(rows.A1.data).toEqual({
        name: 'Hangzhou "West Lake" Tea, Ltd.',
        capital: 1000000,
        score: 12.5,
        active: true,
        founded: '2020-02-29',
        updated: '2024-05-01T08:30:00Z',
        seal: 'aGVsbG8=',
      });
      expect(rows.A2.data).toEqual({
        name: 'two\r\nlines',
        capital: -7,
        score: 0.5,
        active: false,
        founded: '1999-12-31',
        updated: '2024-05-01T08:30:00+08:00',
        seal: null,
      });
      // An empty unquoted field is null; "" is the empty string.
      expect(rows.A3.data).toEqual({ name: '', capital: null, score: null, active: null, founded: null, updated: null, seal: null });
      expect(rows.A4.data).toMatchObject({ name: null, capital: 7, score: -0.25 });
      assertEvery(Object.values(rows), (r) => r.region === NODE && !r.deleted, 'live rows of the node');
      expect(response.body.lastChangeSeq).toBe(Math.max(...Object.values(rows).map((r) => r.seq)));
    });

    it('loads NDJSON, gzip-compressed too, and accepts columns in any order', async () => {
      const id = await newEntry();
      const lines = [
        JSON.stringify({
          rowKey: 'N1',
          regionCode: '330106',
          name: '西湖区某公司',
          capital: 5,
          score: 1.25,
          active: true,
          founded: '2021-03-04',
          updated: '2021-03-04T05:06:07.123Z',
          seal: 'AA==',
        }),
        '',
        JSON.stringify({ regionCode: '330106', rowKey: 'N2', capital: '9007199254740993' }),
      ];
      const first = await upload(`${lines.join('\n')}\n`, 'application/x-ndjson', id);
      expect(first).toMatchObject({ status: 200, body: { rowsRead: 2, inserted: 2, updated: 0, unchanged: 0 } });
      const rows = await rowsOf(id);
      expect(rows.N1.data).toEqual({
        name: '西湖区某公司',
        capital: 5,
        score: 1.25,
        active: true,
        founded: '2021-03-04',
        updated: '2021-03-04T05:06:07.123Z',
        seal: 'AA==',
      });
      // Missing items are null; an integer beyond 2^53 given as a string keeps every digit.
      expect(rows.N2.data).toMatchObject({ name: null, score: null });
      const [exact] = await db.query(`SELECT data->>'capital' AS capital FROM dataset_row WHERE entry_id = $1 AND row_key = 'N2'`, [id]);
      expect(exact.capital).toBe('9007199254740993');

      const csv = 'seal,updated,founded,active,score,capital,name,region_code,row_key\n,,,,,,zipped,330106,Z1\n';
      const zipped = await upload(gzipSync(Buffer.from(csv)), 'text/csv', id, { 'content-encoding': 'gzip' });
      expect(zipped).toMatchObject({ status: 200, body: { rowsRead: 1, inserted: 1 } });
      expect((await rowsOf(id)).Z1.data).toMatchObject({ name: 'zipped', capital: null });
    });

    it('upserts by row key: unchanged rows keep their change_seq, changed, revived and deleted rows take new ones', async () => {
      const id = await newEntry();
      const row = (key: string, region: string, name: string) => `${key},${region},${name},1,1.0,true,2020-01-01,2020-01-01T00:00:00Z,`;
      const first = await upload([HEADER, row('K1', '330106', 'one'), row('K2', '330106', 'two'), row('K3', '330106', 'three')].join('\n'), 'text/csv', id);
      expect(first.body).toMatchObject({ rowsRead: 3, inserted: 3, updated: 0, unchanged: 0 });
      const before = await rowsOf(id);

      // K1 unchanged (1.0 and 1.00 are the same decimal), K2 new data, K3 unchanged, K4 new.
      const lines = [
        HEADER,
        row('K1', '330106', 'one').replace(',1.0,', ',1.00,'),
        row('K2', '330106', 'TWO'),
        row('K3', '330106', 'three'),
        row('K4', '330106', 'four'),
      ];
      const second = await upload(lines.join('\n'), 'text/csv', id);
      expect(second.body).toMatchObject({ rowsRead: 4, inserted: 1, updated: 1, unchanged: 2 });
      const after = await rowsOf(id);
      expect(after.K1.seq).toBe(before.K1.seq);
      expect(after.K3.seq).toBe(before.K3.seq);
      expect(after.K2.seq).toBeGreaterThan(before.K3.seq);
      expect(after.K2.data).toMatchObject({ name: 'TWO' });
      expect(after.K4.seq).toBeGreaterThan(before.K3.seq);
      expect(second.body.lastChangeSeq).toBe(Math.max(after.K2.seq, after.K4.seq));

      // A region change alone is a change (the county holds one code, so the old region is set in SQL).
      await db.query(`UPDATE dataset_row SET region_code = '330100' WHERE entry_id = $1 AND row_key = 'K3'`, [id]);
      const back = await upload([HEADER, row('K3', '330106', 'three')].join('\n'), 'text/csv', id);
      expect(back.body).toMatchObject({ rowsRead: 1, inserted: 0, updated: 1, unchanged: 0 });
      const k3 = (await rowsOf(id)).K3;
      expect(k3.region).toBe('330106');
      expect(k3.seq).toBeGreaterThan(after.K4.seq);

      // Deleting leaves a tombstone with a new seq; loading the key again revives it (counted as inserted) with another.
      const deleted = await api(node.url, 'DELETE', `/api/v1/datasets/${id}/rows/K1`);
      expect(deleted).toMatchObject({ status: 200, body: { entryId: id, deleted: 1 } });
      const tomb = (await rowsOf(id)).K1;
      expect(tomb).toMatchObject({ deleted: true, data: null });
      expect(tomb.seq).toBeGreaterThan(k3.seq);
      expect(deleted.body.lastChangeSeq).toBe(tomb.seq);
      const revived = await upload([HEADER, row('K1', '330106', 'one')].join('\n'), 'text/csv', id);
      expect(revived.body).toMatchObject({ rowsRead: 1, inserted: 1, updated: 0, unchanged: 0 });
      const alive = (await rowsOf(id)).K1;
      expect(alive).toMatchObject({ deleted: false, data: { name: 'one' } });
      expect(alive.seq).toBeGreaterThan(tomb.seq);
    });

    it('keeps each row masked as the grade requires, and sends rows again once the grade changes', async () => {
      const id = await newEntry({ dataItems: ITEMS.map((item) => (item.name === 'name' ? { ...item, sensitive: true } : item)) });
      const line = `${HEADER}\nM1,330106,张三,1,1,true,2020-01-01,2020-01-01T00:00:00Z,\n`;
      const copy = async () =>
        (
          await db.query<{ masked: { name: string }; seq: string }>(
            `SELECT masked, change_seq AS seq FROM dataset_row WHERE entry_id = $1 AND row_key = 'M1'`,
            [id],
          )
        )[0];
      expect((await upload(line, 'text/csv', id)).body).toMatchObject({ inserted: 1 });
      const partial = await copy();
      expect(partial.masked.name).toBe('张*');
      expect((await upload(line, 'text/csv', id)).body).toMatchObject({ unchanged: 1 });
      expect((await api(node.url, 'PATCH', `/api/v1/catalog/entries/${id}`, { grade: 'L3', openType: 'restricted' })).body).toMatchObject({ grade: 'L3' });
      // The same row under the new grade: masked again, and a change (receivers hold the old mask).
      expect((await upload(line, 'text/csv', id)).body).toMatchObject({ updated: 1, unchanged: 0 });
      const shape = await copy();
      expect(shape.masked.name).toBe('**');
      expect(Number(shape.seq)).toBeGreaterThan(Number(partial.seq));
    });
  });

  describe('refused uploads change nothing', () => {
    beforeAll(async () => {
      // Something to protect: the table is compared in full before and after each refusal.
      const seeded = await upload(`${HEADER}\nS1,330106,seed,1,1,true,2020-01-01,2020-01-01T00:00:00Z,\n`);
      expect(seeded.status).toBe(200);
    });

    it('wrong columns: missing, unknown and repeated ones are named on line 1', async () => {
      const missing = errorsOf(await refused(400, 'row_key,region_code,name\nX1,330106,a\n'));
      expect(missing).toEqual([{ line: 1, message: expect.stringMatching(/missing columns "capital", "score", "active", "founded", "updated", "seal"/) }]);
      const unknown = errorsOf(await refused(400, `${HEADER},colour\nX1,330106,a,,,,,,,red\n`));
      expect(unknown[0]).toMatchObject({ line: 1, message: expect.stringContaining('unknown column "colour"') });
      const twice = errorsOf(await refused(400, `${HEADER},name\n`));
      expect(twice[0]).toMatchObject({ line: 1, message: expect.stringContaining('"name" given more than once') });
      const empty = errorsOf(await refused(400, ''));
      expect(empty[0]).toMatchObject({ line: 1, message: expect.stringContaining('the upload is empty') });
    });

    it('region codes outside the jurisdiction of the holder, or not division codes', async () => {
      const body = await refused(
        400,
        [
          HEADER,
          'R1,330106,ok,,,,,,',
          'R2,330108,Binjiang,,,,,,', // a neighbouring county of the same city
          'R3,310101,Shanghai,,,,,,',
          'R4,330100,the city itself,,,,,,',
          'R5,33010X,typo,,,,,,',
        ].join('\n'),
      );
      expect(errorsOf(body)).toEqual([
        { line: 3, message: expect.stringContaining("region code 330108 lies outside this node's jurisdiction (330106)") },
        { line: 4, message: expect.stringContaining('region code 310101 lies outside') },
        { line: 5, message: expect.stringContaining('region code 330100 lies outside') },
        { line: 6, message: expect.stringContaining('is not a six-digit division code') },
      ]);
      expect(body.truncated).toBe(false);
    });

    it('malformed CSV: wrong field count, stray quotes, text after a closing quote, an unterminated quote', async () => {
      const body = await refused(
        400,
        [
          HEADER,
          'M1,330106,a,,,,,',
          'M2,330106,a,,,,,,,,',
          'M3,330106,ab"c,,,,,,',
          'M4,330106,"ab"c,,,,,,',
          'M5,330106,"fine",,,,,,',
          'M6,330106,"never closed,,,,,,',
          'M7,330106,x,,,,,,',
        ].join('\n'),
      );
      expect(errorsOf(body)).toEqual([
        { line: 2, message: 'expected 9 fields as in the header, found 8' },
        { line: 3, message: 'expected 9 fields as in the header, found 11' },
        { line: 4, message: expect.stringContaining('a double quote inside an unquoted field') },
        { line: 5, message: expect.stringContaining('unexpected text after a closing quote') },
        { line: 7, message: expect.stringContaining('unterminated quoted field: the quote opened at line 7') },
      ]);
      // The quote swallowed line 8 as text, so it was never checked: more errors may exist.
      expect(body.truncated).toBe(true);
      // A file whose errors were all checked says so.
      expect((await refused(400, [HEADER, 'M1,330106,a,,,,,', 'M2,330106,"ok",,,,,,'].join('\n'))).truncated).toBe(false);
    });

    it('an over-long line: refused without reading it whole (CSV stops there, NDJSON goes on)', async () => {
      const long = 'x'.repeat(1024 * 1024 + 10);
      const csv = errorsOf(await refused(400, `${HEADER}\nL1,330106,ok,,,,,,\nL2,330106,${long},,,,,,\nL3,330106,bad-int,zz,,,,,\n`));
      expect(csv).toEqual([{ line: 3, message: 'the line is longer than 1 MiB' }]);
      const ndjson = await refused(
        400,
        [
          JSON.stringify({ rowKey: 'L1', regionCode: '330106' }),
          JSON.stringify({ rowKey: 'L2', regionCode: '330106', name: long }),
          JSON.stringify({ rowKey: 'L3', regionCode: '330106', capital: 'zz' }),
        ].join('\n'),
        'application/x-ndjson',
      );
      expect(errorsOf(ndjson)).toEqual([
        { line: 2, message: 'the line is longer than 1 MiB' },
        { line: 3, message: expect.stringContaining('capital: "zz" is not an integer') },
      ]);
    });

    it('a wrong encoding: Latin-1 and GBK bytes are named by line', async () => {
      const latin1 = Buffer.concat([Buffer.from(`${HEADER}\nE1,330106,ok,,,,,,\nE2,330106,Caf`), Buffer.from([0xe9]), Buffer.from(',,,,,,\n')]);
      expect(errorsOf(await refused(400, latin1))).toEqual([{ line: 3, message: expect.stringContaining('not valid UTF-8') }]);
      // 杭州 in GBK is B9 BC D6 DD; "浙江" in GBK is D5 E3 BD AD.
      const gbk = Buffer.concat([
        Buffer.from(`${HEADER}\nG1,330106,`),
        Buffer.from([0xb9, 0xbc, 0xd6, 0xdd]),
        Buffer.from(',,,,,,\nG2,330106,fine,,,,,,\nG3,330106,'),
        Buffer.from([0xd5, 0xe3, 0xbd, 0xad]),
        Buffer.from(',,,,,,\n'),
      ]);
      expect(errorsOf(await refused(400, gbk))).toEqual([
        { line: 2, message: expect.stringContaining('not valid UTF-8') },
        { line: 4, message: expect.stringContaining('not valid UTF-8') },
      ]);
    });

    it('bad values, by line and item, and invalid JSON', async () => {
      const body = await refused(
        400,
        [
          HEADER,
          'V1,330106,ok,12.5,1,true,2020-01-01,2020-01-01T00:00:00Z,',
          'V2,330106,ok,,abc,yes,2021-02-29,2020-13-01T00:00:00Z,not base64!',
          ',330106,no key,,,,,,',
          'V4,330106,ok,99999999999999999999,,,,,',
        ].join('\n'),
      );
      expect(errorsOf(body)).toEqual([
        { line: 2, message: 'capital: "12.5" is not an integer' },
        {
          line: 3,
          message: expect.stringMatching(
            /^score: "abc" is not a decimal number; active: "yes" is not a boolean.*; founded: "2021-02-29" is not a date.*; updated: "2020-13-01T00:00:00Z" is not an ISO 8601.*; seal: is not base64/,
          ),
        },
        { line: 4, message: 'row_key is empty' },
        { line: 5, message: 'capital: "99999999999999999999" is not an integer' },
      ]);
      const json = await refused(
        400,
        [
          '{"rowKey": "J1", "regionCode": "330106", "capital": 1.5}',
          '{"rowKey": "J2", "regionCode": "330106"',
          '[1, 2]',
          '{"rowKey": "J4", "regionCode": "330106", "colour": "red", "active": "true"}',
        ].join('\n'),
        'application/x-ndjson',
      );
      expect(errorsOf(json)).toEqual([
        { line: 1, message: expect.stringContaining('capital: 1.5 is not an integer') },
        { line: 2, message: expect.stringContaining('invalid JSON') },
        { line: 3, message: expect.stringContaining('each line must be one JSON object') },
        { line: 4, message: expect.stringMatching(/unknown field "colour".*active: must be true or false/) },
      ]);
    });

    it('duplicate row keys within an upload, with the line each was first given on', async () => {
      const body = await refused(
        400,
        [HEADER, 'D1,330106,a,,,,,,', 'D2,330106,b,,,,,,', 'D1,330106,c,,,,,,', 'S1,330106,d,,,,,,', 'D1,330106,e,,,,,,'].join('\n'),
      );
      expect(errorsOf(body)).toEqual([
        { line: 4, message: 'duplicate row key "D1": already given at line 2' },
        { line: 6, message: 'duplicate row key "D1": already given at line 2' },
      ]);
    });

    it('reports duplicate row keys together with every other error of the upload, by line', async () => {
      const body = await refused(
        400,
        [
          HEADER,
          'K1,330106,a,,,,,,',
          'K2,330108,outside,,,,,,', // line 3: region outside
          'K1,330106,again,,,,,,', // line 4: duplicate of line 2
          'K3,330106,x,not-an-int,,,,,', // line 5: bad value
          'K2,330106,again,,,,,,', // line 6: duplicate of a bad row's key
          'K3,330106,x,zz,,,,,', // line 7: bad value and duplicate
          'K4,330106,short,,', // line 8: wrong field count
          'K4,330106,again,,,,,,', // line 9: duplicate of a short row's key
        ].join('\n'),
      );
      expect(errorsOf(body)).toEqual([
        { line: 3, message: expect.stringContaining('region code 330108 lies outside') },
        { line: 4, message: 'duplicate row key "K1": already given at line 2' },
        { line: 5, message: 'capital: "not-an-int" is not an integer' },
        { line: 6, message: 'duplicate row key "K2": already given at line 3' },
        { line: 7, message: 'capital: "zz" is not an integer; duplicate row key "K3": already given at line 5' },
        { line: 8, message: 'expected 9 fields as in the header, found 5' },
        { line: 9, message: 'duplicate row key "K4": already given at line 8' },
      ]);
      expect(body.truncated).toBe(false);
      expect(body.message).toMatch(/^upload refused, nothing was loaded: 7 errors, the first at line 3/);
      // NDJSON alike.
      const ndjson = await refused(
        400,
        [JSON.stringify({ rowKey: 'N1', regionCode: '330106', capital: 'x' }), JSON.stringify({ rowKey: 'N1', regionCode: '330106' })].join('\n'),
        'application/x-ndjson',
      );
      expect(errorsOf(ndjson)).toEqual([
        { line: 1, message: 'capital: "x" is not an integer' },
        { line: 2, message: 'duplicate row key "N1": already given at line 1' },
      ]);
    });

    it('stops at 100 errors and says the list is truncated', async () => {
      const lines = [HEADER, ...Array.from({ length: 500 }, (_, i) => `T${i},320000,x,,,,,,`)];
      const body = await refused(400, lines.join('\n'));
      expect(errorsOf(body)).toHaveLength(100);
      expect(body.errors[99].line).toBe(101);
      expect(body.truncated).toBe(true);
    });

    it('415 for another content type or charset, 404 for an unknown entry, 422 for other resources and replicas', async () => {
      const csv = `${HEADER}\nW1,330106,a,,,,,,\n`;
      expect((await refused(415, csv, 'application/xml')).message).toContain('send text/csv or application/x-ndjson');
      expect((await refused(415, csv, 'text/plain')).error).toBe('Unsupported Media Type');
      expect((await refused(415, csv, 'text/csv; charset=gbk')).message).toContain('charset gbk');
      expect((await refused(404, csv, 'text/csv', randomUUID())).message).toContain('no catalog entry');
      expect((await refused(400, csv, 'text/csv', 'not-a-uuid')).fields).toEqual([{ field: 'entryId', messages: ['entryId must be a UUID'] }]);

      const app = await api(node.url, 'POST', '/api/v1/catalog/entries', {
        type: 'application',
        name: 'Permit app',
        summary: 'An application',
        providerId: provider,
        category: 'permits',
        grade: 'L1',
        shareType: 'unconditional',
        openType: 'unconditional',
        updateCycle: 'monthly',
        dataItems: [],
      });
      expect(app.status).toBe(201);
      expect(await refused(422, csv, 'text/csv', app.body.id)).toMatchObject({ rule: 'content-for-data-only', article: 'Article 11' });

      const replica = randomUUID();
      await db.query(
        `INSERT INTO catalog_entry (id, origin, code, type, name, summary, provider_id, category, grade, share_type,
           open_type, update_cycle, region_scope, data_items, status, version, created_at, updated_at)
         VALUES ($1, '330108', '330108-D-000001', 'data', 'Binjiang register', 'A replica', $2, 'market', 'L1', 'unconditional',
           'unconditional', 'daily', '330108', $3, 'active', 1, now(), now())`,
        [replica, randomUUID(), JSON.stringify(ITEMS)],
      );
      const refusal = await refused(422, csv, 'text/csv', replica);
      expect(refusal).toMatchObject({ rule: 'content-at-origin', statusCode: 422, message: expect.stringContaining('replica of 330108') });
      expect((await api(node.url, 'GET', `/api/v1/datasets/${replica}`)).status).toBe(422);

      const retired = await newEntry();
      expect((await api(node.url, 'DELETE', `/api/v1/catalog/entries/${retired}`)).status).toBe(200);
      expect(await refused(422, csv, 'text/csv', retired)).toMatchObject({ rule: 'retired-is-final' });
    });
  });

  describe('deleting and reading', () => {
    let id: string;
    beforeAll(async () => {
      id = await newEntry();
      const lines = [HEADER];
      for (let i = 0; i < 25; i++) lines.push(`R${String(i).padStart(2, '0')},330106,row ${i},${i},,,,,`);
      expect((await upload(lines.join('\n'), 'text/csv', id)).status).toBe(200);
    });

    it('deletes one row as a tombstone; 404 when there is no live row', async () => {
      expect(await api(node.url, 'DELETE', `/api/v1/datasets/${id}/rows/R00`)).toMatchObject({ status: 200, body: { deleted: 1 } });
      expect((await api(node.url, 'DELETE', `/api/v1/datasets/${id}/rows/R00`)).status).toBe(404);
      expect((await api(node.url, 'DELETE', `/api/v1/datasets/${id}/rows/nothing`)).status).toBe(404);
      expect((await rowsOf(id)).R00).toMatchObject({ deleted: true, data: null });
    });

    it('deletes many rows all or nothing', async () => {
      const before = await table();
      const missing = await api(node.url, 'POST', `/api/v1/datasets/${id}/rows/delete`, { rowKeys: ['R01', 'R02', 'nope', 'R00'] });
      expect(missing).toMatchObject({ status: 404, body: { missing: ['nope', 'R00'] } });
      expect(await table()).toEqual(before);
      const bad = await api(node.url, 'POST', `/api/v1/datasets/${id}/rows/delete`, { rowKeys: [] });
      expect(bad.status).toBe(400);
      const tooMany = await api(node.url, 'POST', `/api/v1/datasets/${id}/rows/delete`, { rowKeys: Array.from({ length: 10_001 }, (_, i) => `k${i}`) });
      expect(tooMany.status).toBe(400);
      expect(await table()).toEqual(before);

      const done = await api(node.url, 'POST', `/api/v1/datasets/${id}/rows/delete`, { rowKeys: ['R01', 'R02'] });
      expect(done).toMatchObject({ status: 200, body: { entryId: id, deleted: 2 } });
      const rows = await rowsOf(id);
      expect([rows.R01.deleted, rows.R02.deleted, rows.R03.deleted]).toEqual([true, true, false]);
      expect(done.body.lastChangeSeq).toBe(Math.max(rows.R01.seq, rows.R02.seq));
    });

    it('summarises the dataset and pages live rows by row key, filtered by region prefix', async () => {
      const summary = await api(node.url, 'GET', `/api/v1/datasets/${id}`);
      expect(summary).toMatchObject({ status: 200, body: { entryId: id, rows: 22, deletedRows: 3, regions: [{ regionCode: '330106', rows: 22 }] } });
      const [max] = await db.query('SELECT max(change_seq) AS m FROM dataset_row WHERE entry_id = $1', [id]);
      expect(summary.body.lastChangeSeq).toBe(Number(max.m));

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: Body } = await api(
          node.url,
          'GET',
          `/api/v1/datasets/${id}/rows?region=3301&limit=10${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((r: Body) => r.rowKey));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(Array.from({ length: 22 }, (_, i) => `R${String(i + 3).padStart(2, '0')}`));
      const one = await api(node.url, 'GET', `/api/v1/datasets/${id}/rows?region=330106&limit=1`);
      expect(one.body.items).toEqual([
        { rowKey: 'R03', regionCode: '330106', data: expect.objectContaining({ name: 'row 3', capital: 3 }), changeSeq: expect.any(Number) },
      ]);
      expect((await api(node.url, 'GET', `/api/v1/datasets/${id}/rows?region=3302`)).body).toEqual({ items: [], nextCursor: null });
      expect((await api(node.url, 'GET', `/api/v1/datasets/${id}/rows?region=330`)).status).toBe(400);
      expect((await api(node.url, 'GET', `/api/v1/datasets/${id}/rows?cursor=bogus`)).status).toBe(400);
    });
  });
});
