import { api, authHeaders, createTestDatabase, deleteNamespaceStreams, eventually, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';
import { waitForJob } from './support/returns';
import { awaitTrustLists } from './support/replication';

/**
 * Values come back as they were loaded, through the API of the holder and, after a return,
 * through the API of the receiver: decimals with every digit and their scale (4579.70 stays
 * "4579.70", a 20-digit decimal keeps its last digit), integers beyond 2^53 with every digit,
 * identifiers with their leading zeros. Province 330000 holds the data; Hangzhou 330100 asks
 * for it. Real PostgreSQL and NATS.
 */
const ITEMS = [
  { name: 'uscc', type: 'string', sensitive: false },
  { name: 'amount', type: 'decimal', sensitive: false },
  { name: 'capital', type: 'integer', sensitive: false },
  { name: 'ok', type: 'boolean', sensitive: false },
];

// As loaded (CSV text) and as the API must give them back (decimals as strings, integers beyond 2^53 as strings).
const CASES = [
  { key: 'V1', csv: ['000123', '4579.70', '42', 'true'], api: { uscc: '000123', amount: '4579.70', capital: 42, ok: true } },
  {
    key: 'V2',
    csv: ['0571', '12345678901234567890.12345678901234567890', '9223372036854775807', 'false'],
    api: { uscc: '0571', amount: '12345678901234567890.12345678901234567890', capital: '9223372036854775807', ok: false },
  },
  {
    key: 'V3',
    csv: ['007', '-0.000', '-9223372036854775808', ''],
    // Zero has no sign in PostgreSQL's numeric: -0.000 is the same number as 0.000, and keeps its scale.
    api: { uscc: '007', amount: '0.000', capital: '-9223372036854775808', ok: null },
  },
  { key: 'V4', csv: ['0', '100', '9007199254740993', ''], api: { uscc: '0', amount: '100', capital: '9007199254740993', ok: null } },
  { key: 'V5', csv: ['x', '0.1', '-9007199254740991', ''], api: { uscc: 'x', amount: '0.1', capital: -9007199254740991, ok: null } },
];

describe('values come back as loaded, at the holder and after a return', () => {
  const namespace = testNamespace();
  const databases: Record<string, TestDatabase> = {};
  const nodes: Record<string, RunningNode> = {};
  let entryId: string;

  async function start(code: string, parentCode?: string): Promise<void> {
    databases[code] = await createTestDatabase(`values_${code}`);
    nodes[code] = await startInProcessNode({ code, parentCode, databaseUrl: databases[code].url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
  }

  async function upload(body: string, contentType: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${nodes['330000'].url}/api/v1/datasets/${entryId}/rows`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(await authHeaders(nodes['330000'].url)) },
      body,
    });
    return { status: response.status, body: await response.json() };
  }

  /** GET as raw text too: the wire must carry the digits, whatever a client's parser does with them. */
  async function getRaw(url: string, path: string): Promise<{ text: string; body: { items: { rowKey: string; data: Record<string, unknown> }[] } }> {
    const response = await fetch(`${url}${path}`, { headers: await authHeaders(url) });
    expect(response.status).toBe(200);
    const text = await response.text();
    return { text, body: JSON.parse(text) };
  }

  beforeAll(async () => {
    await start('330000');
    await start('330100', '330000');
    const province = nodes['330000'].url;
    const institution = await api(province, 'POST', '/api/v1/institutions', sampleInstitution('Provincial Finance Bureau'));
    const created = await api(province, 'POST', '/api/v1/catalog/entries', {
      type: 'data',
      name: 'Payments',
      summary: 'Payments of the province',
      providerId: institution.body.id,
      category: 'finance',
      grade: 'L1',
      shareType: 'unconditional',
      openType: 'unconditional',
      updateCycle: 'irregular',
      dataItems: ITEMS,
    });
    expect(created.status).toBe(201);
    entryId = created.body.id;
    await eventually(async () => {
      const known = await databases['330000'].query<{ code: string }>('SELECT code FROM known_node ORDER BY code');
      expect(known.map((k) => k.code)).toEqual(['330100']);
    });
    await awaitTrustLists([nodes['330000'].url, nodes['330100'].url], ['330000', '330100']);
  });

  afterAll(async () => {
    await Promise.all(Object.values(nodes).map((n) => n.stop()));
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    await Promise.all(Object.values(databases).map((d) => d.drop()));
  });

  it('gives CSV values back exactly, and NDJSON numbers with their digits as sent', async () => {
    const csv = [['row_key', 'region_code', ...ITEMS.map((i) => i.name)].join(','), ...CASES.map((c) => [c.key, '330106', ...c.csv].join(','))].join('\n');
    expect(await upload(csv, 'text/csv')).toMatchObject({ status: 200, body: { inserted: CASES.length } });
    // NDJSON numbers as raw JSON text: a JavaScript client could not even write them.
    const ndjson = [
      '{"rowKey": "N1", "regionCode": "330106", "uscc": "000999", "amount": 4579.70, "capital": 9223372036854775807}',
      '{"rowKey": "N2", "regionCode": "330106", "amount": 1.50e2, "capital": "9007199254740993"}',
      '{"rowKey": "N3", "regionCode": "330106", "amount": "12345678901234567890.10", "capital": -42}',
    ].join('\n');
    expect(await upload(ndjson, 'application/x-ndjson')).toMatchObject({ status: 200, body: { inserted: 3 } });

    const { text, body } = await getRaw(nodes['330000'].url, `/api/v1/datasets/${entryId}/rows?limit=100`);
    const byKey = Object.fromEntries(body.items.map((r) => [r.rowKey, r.data]));
    for (const c of CASES) expect(byKey[c.key]).toEqual(c.api);
    expect(byKey.N1).toEqual({ uscc: '000999', amount: '4579.70', capital: '9223372036854775807', ok: null });
    expect(byKey.N2).toEqual({ uscc: null, amount: '150', capital: '9007199254740993', ok: null });
    expect(byKey.N3).toEqual({ uscc: null, amount: '12345678901234567890.10', capital: -42, ok: null });
    expect(text).toContain('"amount":"4579.70"');
    expect(text).toContain('"capital":"9223372036854775807"');
  });

  it('a return to Hangzhou carries them exactly, and its API gives them back alike', async () => {
    const created = await api(nodes['330100'].url, 'POST', '/api/v1/returns/requests', {
      holder: '330000',
      entryId,
      scope: 'subtree',
      purpose: 'checking payments of the city',
    });
    expect(created.status).toBe(201);
    await waitForJob(nodes['330100'].url, created.body.id);
    // The stored jsonb at both ends, as PostgreSQL writes it: the same text, digit for digit.
    const atHolder = await databases['330000'].query<{ row_key: string; data: string }>(
      'SELECT row_key, data::text AS data FROM dataset_row WHERE entry_id = $1 ORDER BY row_key',
      [entryId],
    );
    const atReceiver = await databases['330100'].query<{ row_key: string; data: string }>(
      'SELECT row_key, data::text AS data FROM returned_row WHERE request_id = $1 ORDER BY row_key',
      [created.body.id],
    );
    expect(atReceiver).toEqual(atHolder);
    expect(atReceiver).toHaveLength(CASES.length + 3);

    const { text, body } = await getRaw(nodes['330100'].url, `/api/v1/returns/requests/${created.body.id}/rows?limit=100`);
    const byKey = Object.fromEntries(body.items.map((r) => [r.rowKey, r.data]));
    for (const c of CASES) expect(byKey[c.key]).toEqual(c.api);
    expect(byKey.N1).toEqual({ uscc: '000999', amount: '4579.70', capital: '9223372036854775807', ok: null });
    expect(text).toContain('"amount":"12345678901234567890.12345678901234567890"');
    // A subset of items keeps the rule.
    const some = await getRaw(nodes['330100'].url, `/api/v1/returns/requests/${created.body.id}/rows?limit=1&columns=amount`);
    expect(some.body.items).toEqual([expect.objectContaining({ rowKey: 'N1', data: { amount: '4579.70' } })]);
  });
});
