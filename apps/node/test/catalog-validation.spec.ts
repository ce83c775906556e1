import { randomUUID } from 'node:crypto';
import { api, assertEvery, createTestDatabase, deleteNamespaceStreams, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { Body, expectRefused, FieldProblem, fieldsOf, snapshotTables } from './support/refusals';

/**
 * Every 400 and 422 path of the catalog operator API at one county node (Xihu, 330106), each
 * followed by a comparison of the full contents of catalog_entry, institution and outbox with
 * what they held before: a refusal writes nothing. The parent (330100) does not run, so the
 * outbox is never drained and its rows are part of the comparison.
 */
const NODE = '330106';
const ENTRIES = '/api/v1/catalog/entries';
const BULK = `${ENTRIES}/bulk`;

interface Entry {
  id: string;
  summary: string;
  dataItems: unknown[];
  code: string;
  name: string;
  type: string;
  origin: string;
  version: number;
  status: string;
  regionScope: string;
  updatedAt: string;
}

describe(`catalog API refusals at county ${NODE}`, () => {
  let db: TestDatabase;
  let node: RunningNode;
  const namespace = testNamespace();
  /** An active institution of this node. */
  let provider: string;
  /** An institution registered at the neighbouring county 330108 (a row as replication would leave it). */
  let foreignProvider: string;
  /** An institution of this node that is retired. */
  let retiredProvider: string;
  /** An entry registered here, and one held as a replica of 330108. */
  let existing: Entry;
  let replicaId: string;

  beforeAll(async () => {
    db = await createTestDatabase('catval');
    node = await startInProcessNode({ code: NODE, parentCode: '330100', databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
    const institution = await api(node.url, 'POST', '/api/v1/institutions', sampleInstitution());
    expect(institution.status).toBe(201);
    provider = institution.body.id;

    foreignProvider = randomUUID();
    retiredProvider = randomUUID();
    await db.query(
      `INSERT INTO institution (id, origin, name, kind, credit_code, status, version, created_at, updated_at)
       VALUES ($1, '330108', 'Binjiang Data Bureau', 'government', NULL, 'active', 1, now(), now()),
              ($2, $3, 'Dissolved Bureau', 'government', NULL, 'retired', 2, now(), now())`,
      [foreignProvider, retiredProvider, NODE],
    );

    const created = await api(node.url, 'POST', ENTRIES, sampleEntry(provider, { name: 'Existing register', code: 'XH-EXISTING-1' }));
    expect(created.status).toBe(201);
    existing = created.body;

    replicaId = randomUUID();
    await db.query(
      `INSERT INTO catalog_entry (id, origin, code, type, name, summary, provider_id, category, grade, share_type,
         share_condition, legal_basis, open_type, update_cycle, format, region_scope, data_items, related_resources,
         release_date, status, version, created_at, updated_at)
       VALUES ($1, '330108', '330108-A-000001', 'application', 'Binjiang permit app', 'A replica from the neighbour', $2,
         'permits', 'L1', 'unconditional', NULL, NULL, 'unconditional', 'monthly', NULL, '330108', '[]', '[]', NULL,
         'active', 3, now(), now())`,
      [replicaId, foreignProvider],
    );
  });

  afterAll(async () => {
    await node?.stop();
    await db?.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  const snapshot = () => snapshotTables(db);
  const refused = (status: number, method: string, path: string, body?: unknown) => expectRefused(db, node.url, status, method, path, body);

  const entry = (overrides: Body = {}) => sampleEntry(provider, overrides);
  const without = (field: string) => {
    const body: Body = entry();
    delete body[field];
    return body;
  };

  describe('400 on malformed registrations, naming the fields at fault', () => {
    it('names every missing required field of an empty body', async () => {
      const body = await refused(400, 'POST', ENTRIES, {});
      expect(fieldsOf(body)).toEqual(['category', 'grade', 'name', 'openType', 'providerId', 'shareType', 'summary', 'type', 'updateCycle'].sort());
    });

    it.each(['type', 'name', 'summary', 'providerId', 'category', 'grade', 'shareType', 'openType', 'updateCycle'])(
      'names %s when only it is missing',
      async (field) => {
        expect(fieldsOf(await refused(400, 'POST', ENTRIES, without(field)))).toEqual([field]);
      },
    );

    const badFields: [string, Body, string[]][] = [
      ['an unknown type', { type: 'dataset' }, ['type']],
      ['an unknown grade', { grade: 'L5' }, ['grade']],
      ['a lower-case grade', { grade: 'l1' }, ['grade']],
      ['an unknown shareType', { shareType: 'sometimes' }, ['shareType']],
      ['an unknown openType', { openType: 'open' }, ['openType']],
      ['an unknown updateCycle', { updateCycle: 'hourly' }, ['updateCycle']],
      ['a providerId that is not a UUID', { providerId: 'market-bureau' }, ['providerId']],
      ['a providerId of the wrong type', { providerId: 42 }, ['providerId']],
      ['a five-digit regionScope', { regionScope: '33010' }, ['regionScope']],
      ['a regionScope with letters', { regionScope: '33O106' }, ['regionScope']],
      ['a regionScope given as a number', { regionScope: 330106 }, ['regionScope']],
      ['a number for the name', { name: 12345 }, ['name']],
      ['a blank name', { name: '   ' }, ['name']],
      ['an empty name', { name: '' }, ['name']],
      ['a name of 201 characters', { name: 'x'.repeat(201) }, ['name']],
      ['a summary of 4001 characters', { summary: 's'.repeat(4001) }, ['summary']],
      ['an array for the summary', { summary: ['a'] }, ['summary']],
      ['a releaseDate that does not exist', { releaseDate: '2026-02-30' }, ['releaseDate']],
      ['a releaseDate with a time', { releaseDate: '2026-01-01T00:00:00Z' }, ['releaseDate']],
      ['a releaseDate in another format', { releaseDate: '01/02/2026' }, ['releaseDate']],
      ['a releaseDate in year 0', { releaseDate: '0000-01-01' }, ['releaseDate']],
      ['a code with spaces', { code: 'has spaces' }, ['code']],
      ['a code starting with a hyphen', { code: '-D-1' }, ['code']],
      ['a code of 65 characters', { code: 'C'.repeat(65) }, ['code']],
      ['a data resource without dataItems', { dataItems: undefined }, ['dataItems']],
      ['a data resource with empty dataItems', { dataItems: [] }, ['dataItems']],
      ['a data resource with dataItems null', { dataItems: null }, ['dataItems']],
      ['dataItems that is not an array', { dataItems: 'uscc' }, ['dataItems']],
      [
        'duplicate data item names',
        {
          dataItems: [
            { name: 'uscc', type: 'string', sensitive: false },
            { name: 'uscc', type: 'integer', sensitive: false },
          ],
        },
        ['dataItems'],
      ],
      ['a data item of an unknown type', { dataItems: [{ name: 'uscc', type: 'varchar', sensitive: false }] }, ['dataItems.0.type']],
      [
        'bad fields in the second data item',
        {
          dataItems: [
            { name: 'ok', type: 'string', sensitive: false },
            { name: '1bad', type: 'string', sensitive: 'no' },
          ],
        },
        ['dataItems.1.name', 'dataItems.1.sensitive'],
      ],
      ['a data item with an unknown property', { dataItems: [{ name: 'uscc', type: 'string', sensitive: false, length: 18 }] }, ['dataItems.0.length']],
      ['an unknown property', { colour: 'blue' }, ['colour']],
      ['a status chosen by the client', { status: 'retired' }, ['status']],
      ['a version chosen by the client', { version: 7 }, ['version']],
      ['an origin chosen by the client', { origin: '330108' }, ['origin']],
      ['stateSecret as a string', { stateSecret: 'false' }, ['stateSecret']],
      ['relatedResources that are not strings', { relatedResources: [1, 2] }, ['relatedResources']],
      ['a shareCondition of the wrong type', { shareType: 'conditional', shareCondition: 5 }, ['shareCondition']],
      ['a NUL character in the name', { name: 'Enterprise\u0000register' }, ['name']],
      ['a NUL character in a data item name', { dataItems: [{ name: 'a\u0000b', type: 'string', sensitive: false }] }, ['dataItems.0.name']],
      // Ill-formed UTF-16: JSON can spell it (\ud800), PostgreSQL cannot store it.
      ['a lone high surrogate in the name', { name: 'Enterprise \ud800register' }, ['name']],
      ['a lone low surrogate in the summary', { summary: 'end \udc00' }, ['summary']],
      ['a lone surrogate in a data item name', { dataItems: [{ name: 'a\udbffb', type: 'string', sensitive: false }] }, ['dataItems.0.name']],
      ['a lone surrogate in a related resource', { relatedResources: ['R-\ud83d'] }, ['relatedResources.0']],
      ['a lone surrogate in a property name', { 'na\ud800me': 'x' }, ['na\ud800me']],
      ['a data item that is an array', { dataItems: [[]] }, ['dataItems']],
    ];
    it.each(badFields)('refuses %s', async (_label, overrides, fields) => {
      expect(fieldsOf(await refused(400, 'POST', ENTRIES, entry(overrides)))).toEqual([...fields].sort());
    });

    it('names several bad fields of one body together', async () => {
      const body = await refused(400, 'POST', ENTRIES, entry({ grade: 'L9', openType: 'wide', name: 7, unknown: true }));
      expect(fieldsOf(body)).toEqual(['grade', 'name', 'openType', 'unknown']);
    });

    it.each([
      ['a truncated JSON body', '{"type": "data", "name": '],
      ['a body that is not JSON', 'type=data&name=x'],
      ['a JSON string as the body', '"an entry"'],
      ['a JSON array as the body', '[]'],
      ['a JSON null as the body', 'null'],
      ['a body nested 10,000 levels deep', `{"name":${'['.repeat(10_000)}${']'.repeat(10_000)}}`],
      ['a data item nested 10,000 levels deep', `{"dataItems":${'['.repeat(10_000)}${']'.repeat(10_000)}}`],
      ['a body of 10,000 nested objects', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
    ])('answers %s with 400, not 500', async (_label, raw) => {
      const body = await refused(400, 'POST', ENTRIES, raw);
      expect(body.statusCode).toBe(400);
    });
  });

  describe('422 on domain refusals, naming the rule and the article', () => {
    const domain: [string, () => Body, string, RegExp][] = [
      ['state-secret content', () => entry({ stateSecret: true }), 'state-secret', /Article 2\b/],
      [
        'an L4 resource opened unconditionally',
        () => entry({ grade: 'L4', openType: 'unconditional', shareType: 'conditional', shareCondition: 'approval' }),
        'l4-never-opened',
        /DB33\/T 2351/,
      ],
      [
        'an L4 resource opened restricted',
        () => entry({ grade: 'L4', openType: 'restricted', shareType: 'conditional', shareCondition: 'approval' }),
        'l4-never-opened',
        /DB33\/T 2351/,
      ],
      ['an L2 resource opened unconditionally', () => entry({ grade: 'L2', openType: 'unconditional' }), 'l2-l3-restricted-opening', /DB33\/T 2351/],
      ['an L3 resource opened unconditionally', () => entry({ grade: 'L3', openType: 'unconditional' }), 'l2-l3-restricted-opening', /DB33\/T 2351/],
      ['conditional sharing without a condition', () => entry({ shareType: 'conditional' }), 'share-condition-required', /Article 10/],
      [
        'conditional sharing with a blank condition',
        () => entry({ shareType: 'conditional', shareCondition: '   ' }),
        'share-condition-required',
        /Article 10/,
      ],
      ['no sharing without a legal basis', () => entry({ shareType: 'none' }), 'legal-basis-required', /Article 10/],
      ['a provider registered at another node', () => entry({ providerId: foreignProvider }), 'provider-not-local', /Article/],
      ['a provider that does not exist', () => entry({ providerId: randomUUID() }), 'provider-not-local', /Article/],
      ['a retired provider', () => entry({ providerId: retiredProvider }), 'provider-not-local', /Article/],
      ['a region scope of a sibling county', () => entry({ regionScope: '330108' }), 'region-outside-jurisdiction', /Article 9/],
      ['a region scope of the parent city', () => entry({ regionScope: '330100' }), 'region-outside-jurisdiction', /Article 9/],
      ['a region scope that is no division', () => entry({ regionScope: '000000' }), 'region-outside-jurisdiction', /Article 9/],
    ];
    it.each(domain)('refuses %s', async (_label, body, rule, article) => {
      const answer = await refused(422, 'POST', ENTRIES, body());
      expect(answer.rule).toBe(rule);
      expect(answer.article).toMatch(article);
      expect(typeof answer.message).toBe('string');
    });

    it('lists every rule broken, the first as the headline', async () => {
      const answer = await refused(422, 'POST', ENTRIES, entry({ stateSecret: true, grade: 'L4', regionScope: '330108' }));
      expect(answer.rule).toBe('state-secret');
      expect((answer.refusals as { rule: string }[]).map((r) => r.rule)).toEqual(['state-secret', 'l4-never-opened', 'region-outside-jurisdiction']);
    });

    it('accepts what the rules allow at the edges', async () => {
      const cases = [
        entry({ name: 'L4 kept closed', grade: 'L4', openType: 'prohibited', shareType: 'none', legalBasis: 'Personal Information Protection Law' }),
        entry({ name: 'L3 restricted', grade: 'L3', openType: 'restricted', shareType: 'conditional', shareCondition: 'approved purpose only' }),
        entry({ name: 'Explicit own scope', regionScope: NODE, stateSecret: false }),
      ];
      for (const body of cases) expect((await api(node.url, 'POST', ENTRIES, body)).status).toBe(201);
    });

    it('treats null optional fields of a registration as absent', async () => {
      const answer = await api(
        node.url,
        'POST',
        ENTRIES,
        entry({ name: 'Nulls', code: null, format: null, regionScope: null, releaseDate: null, relatedResources: null }),
      );
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({
        code: expect.stringMatching(/^330106-D-\d{6}$/),
        format: null,
        regionScope: NODE,
        releaseDate: null,
        relatedResources: [],
      });
    });
  });

  describe('409 and 404', () => {
    it('refuses a resource code already registered here', async () => {
      const answer = await refused(409, 'POST', ENTRIES, entry({ code: existing.code }));
      expect(answer.field).toBe('code');
    });

    it('answers concurrent registrations of one new code with one 201 and 409s, never a 500', async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => api(node.url, 'POST', ENTRIES, entry({ code: 'XH-RACE-1', name: `Race ${i}` }))));
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      expect(await db.query(`SELECT id FROM catalog_entry WHERE code = 'XH-RACE-1'`)).toHaveLength(1);
      expect(await db.query(`SELECT seq FROM outbox WHERE payload LIKE '%XH-RACE-1%'`)).toHaveLength(1);
    });

    it.each(['GET', 'PATCH', 'DELETE'])('answers %s of an unknown id with 404', async (method) => {
      const answer = await refused(404, method, `${ENTRIES}/${randomUUID()}`, method === 'PATCH' ? { name: 'x' } : undefined);
      expect(answer.statusCode).toBe(404);
    });

    it('answers a well-formed UUID of another version (v1) with 404, not 400', async () => {
      const answer = await refused(404, 'GET', `${ENTRIES}/6ba7b810-9dad-11d1-80b4-00c04fd430c8`);
      expect(answer.statusCode).toBe(404);
    });

    it('answers a body over the 5 MB limit with 413', async () => {
      const answer = await refused(413, 'POST', ENTRIES, entry({ summary: 'x'.repeat(6 * 1024 * 1024) }));
      expect(answer).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    });

    it.each([
      ['GET', 'not-a-uuid'],
      ['PATCH', 'not-a-uuid'],
      ['DELETE', 'not-a-uuid'],
      ['GET', '12345678-1234-1234-1234-1234567890abz'],
      ['DELETE', "1' OR '1'='1"],
    ])('answers %s with a malformed id (%s) with 400 naming the id', async (method, id) => {
      const answer = await refused(400, method, `${ENTRIES}/${encodeURIComponent(id)}`, method === 'PATCH' ? { name: 'x' } : undefined);
      expect(fieldsOf(answer)).toEqual(['id']);
    });
  });

  describe('PATCH', () => {
    let target: Entry;
    beforeAll(async () => {
      const created = await api(node.url, 'POST', ENTRIES, entry({ name: 'Patch target' }));
      expect(created.status).toBe(201);
      target = created.body;
    });

    it.each([
      ['type', { type: 'application' }],
      ['code', { code: 'NEW-CODE' }],
      ['status', { status: 'retired' }],
      ['version', { version: 9 }],
      ['origin', { origin: '330108' }],
      ['id', { id: randomUUID() }],
    ])('refuses a change of %s with 400', async (field, body) => {
      expect(fieldsOf(await refused(400, 'PATCH', `${ENTRIES}/${target.id}`, body))).toEqual([field]);
    });

    it.each([
      ['an unknown grade', { grade: 'L0' }, ['grade']],
      ['a non-UUID provider', { providerId: 'x' }, ['providerId']],
      ['an over-long name', { name: 'n'.repeat(201) }, ['name']],
      ['a bad regionScope', { regionScope: '3301' }, ['regionScope']],
      ['empty dataItems of a data resource', { dataItems: [] }, ['dataItems']],
      [
        'duplicate data item names',
        {
          dataItems: [
            { name: 'a', type: 'string', sensitive: false },
            { name: 'a', type: 'string', sensitive: true },
          ],
        },
        ['dataItems'],
      ],
      ['a bad nested data item', { dataItems: [{ name: 'a', type: 'text', sensitive: false }] }, ['dataItems.0.type']],
      ['expectedVersion 0', { expectedVersion: 0 }, ['expectedVersion']],
      ['a null name', { name: null }, ['name']],
      ['a null summary', { summary: null }, ['summary']],
      ['a null grade', { grade: null }, ['grade']],
      ['a null providerId', { providerId: null }, ['providerId']],
      ['a null regionScope', { regionScope: null }, ['regionScope']],
      ['a null updateCycle', { updateCycle: null }, ['updateCycle']],
      ['null dataItems', { dataItems: null }, ['dataItems']],
      ['null relatedResources', { relatedResources: null }, ['relatedResources']],
      ['a null expectedVersion', { expectedVersion: null }, ['expectedVersion']],
      ['a NUL character in the summary', { summary: 'a\u0000b' }, ['summary']],
    ])('refuses %s with 400', async (_label, body, fields) => {
      expect(fieldsOf(await refused(400, 'PATCH', `${ENTRIES}/${target.id}`, body))).toEqual([...fields].sort());
    });

    it('answers a malformed JSON body with 400', async () => {
      await refused(400, 'PATCH', `${ENTRIES}/${target.id}`, '{"name":');
    });

    // Bodies are built when the test runs: the provider ids exist only after beforeAll.
    it.each([
      ['state-secret content', () => ({ stateSecret: true }), 'state-secret'],
      ['L3 while opened unconditionally', () => ({ grade: 'L3' }), 'l2-l3-restricted-opening'],
      ['L4 while opened restricted', () => ({ grade: 'L4', openType: 'restricted' }), 'l4-never-opened'],
      ['conditional sharing without a condition', () => ({ shareType: 'conditional' }), 'share-condition-required'],
      ['no sharing without a legal basis', () => ({ shareType: 'none' }), 'legal-basis-required'],
      ['a provider of another node', () => ({ providerId: foreignProvider }), 'provider-not-local'],
      ['a retired provider', () => ({ providerId: retiredProvider }), 'provider-not-local'],
      ['a provider that does not exist', () => ({ providerId: randomUUID() }), 'provider-not-local'],
      ['a region scope outside the county', () => ({ regionScope: '330108' }), 'region-outside-jurisdiction'],
    ])('refuses a new version with %s with 422', async (_label, body, rule) => {
      const answer = await refused(422, 'PATCH', `${ENTRIES}/${target.id}`, body());
      expect(answer.rule).toBe(rule);
      expect(answer.article).toEqual(expect.any(String));
    });

    it('refuses a change to a replica with 422 (only the origin changes an entry)', async () => {
      const answer = await refused(422, 'PATCH', `${ENTRIES}/${replicaId}`, { name: 'Taken over' });
      expect(answer.rule).toBe('origin-only');
      const retire = await refused(422, 'DELETE', `${ENTRIES}/${replicaId}`);
      expect(retire.rule).toBe('origin-only');
    });

    it('refuses a stale expectedVersion with 409', async () => {
      const answer = await refused(409, 'PATCH', `${ENTRIES}/${target.id}`, { name: 'Stale', expectedVersion: target.version + 5 });
      expect(answer.field).toBe('expectedVersion');
    });

    it('left the target at version 1 through all those refusals', async () => {
      expect((await api(node.url, 'GET', `${ENTRIES}/${target.id}`)).body).toEqual(target);
    });

    it('makes version 2 with the change, one outbox record more, and nothing else touched', async () => {
      const before = await snapshot();
      const answer = await api(node.url, 'PATCH', `${ENTRIES}/${target.id}`, {
        name: '  Patch target, renamed ',
        grade: 'L2',
        openType: 'restricted',
        shareType: 'conditional',
        shareCondition: 'on approval',
        format: null,
        expectedVersion: 1,
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        id: target.id,
        code: target.code,
        type: 'data',
        version: 2,
        status: 'active',
        name: 'Patch target, renamed',
        grade: 'L2',
        shareCondition: 'on approval',
        format: null,
        summary: target.summary,
        dataItems: target.dataItems,
      });
      expect(Date.parse(answer.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(target.updatedAt));
      expect((await api(node.url, 'GET', `${ENTRIES}/${target.id}`)).body).toEqual(answer.body);
      const after = await snapshot();
      expect(after.outbox).toHaveLength(before.outbox.length + 1);
      expect(after.outbox.slice(0, before.outbox.length)).toEqual(before.outbox);
      expect(after.institutions).toEqual(before.institutions);
      expect(after.entries.filter((e) => e.id !== target.id)).toEqual(before.entries.filter((e) => e.id !== target.id));
      // A refused PATCH afterwards leaves version 2 in place.
      await refused(422, 'PATCH', `${ENTRIES}/${target.id}`, { openType: 'unconditional' });
      expect((await api(node.url, 'GET', `${ENTRIES}/${target.id}`)).body.version).toBe(2);
    });
  });

  describe('DELETE (retirement)', () => {
    it('retires with a new version once; a second DELETE and a PATCH change nothing', async () => {
      const created = await api(node.url, 'POST', ENTRIES, entry({ name: 'To be retired' }));
      const id: string = created.body.id;
      const before = await snapshot();
      const retired = await api(node.url, 'DELETE', `${ENTRIES}/${id}`);
      expect(retired.status).toBe(200);
      expect(retired.body).toMatchObject({ id, status: 'retired', version: 2 });
      const after = await snapshot();
      expect(after.outbox).toHaveLength(before.outbox.length + 1);

      const again = await api(node.url, 'DELETE', `${ENTRIES}/${id}`);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(retired.body);
      expect(await snapshot()).toEqual(after);

      const patch = await refused(422, 'PATCH', `${ENTRIES}/${id}`, { name: 'Revived' });
      expect(patch.rule).toBe('retired-is-final');
    });
  });

  describe('GET list', () => {
    it.each([
      ['an unknown scope', 'scope=everywhere', ['scope']],
      ['limit 0', 'limit=0', ['limit']],
      ['limit 501', 'limit=501', ['limit']],
      ['limit abc', 'limit=abc', ['limit']],
      ['a fractional limit', 'limit=1.5', ['limit']],
      ['an unknown status', 'status=deleted', ['status']],
      ['an unknown type', 'type=dataset', ['type']],
      ['a bad origin', 'origin=33', ['origin']],
      ['a cursor this API never returned', 'cursor=garbage', ['cursor']],
      ['a cursor with a forged prefix', `cursor=${Buffer.from('x:5').toString('base64url')}`, ['cursor']],
      ['an empty q', 'q=', ['q']],
      ['a repeated q', 'q=a&q=b', ['q']],
      ['a NUL character in q', 'q=a%00b', ['q']],
      ['an unknown parameter', 'sort=name', ['sort']],
    ])('refuses %s with 400', async (_label, query, fields) => {
      expect(fieldsOf(await refused(400, 'GET', `${ENTRIES}?${query}`))).toEqual(fields);
    });
  });

  describe('bulk registration, all or nothing', () => {
    const row = (name: string, overrides: Body = {}) => entry({ name, ...overrides });

    it('registers every row of a good upload', async () => {
      const before = await snapshot();
      const answer = await api(node.url, 'POST', BULK, {
        entries: [row('Bulk one'), row('Bulk two', { type: 'application', dataItems: [] }), row('Bulk three', { code: 'XH-BULK-3' })],
      });
      expect(answer.status).toBe(201);
      expect(answer.body.count).toBe(3);
      const items = answer.body.items as Entry[];
      expect(items.map((i) => i.name)).toEqual(['Bulk one', 'Bulk two', 'Bulk three']);
      expect(items[2].code).toBe('XH-BULK-3');
      expect(new Set(items.map((i) => i.code)).size).toBe(3);
      const after = await snapshot();
      expect(after.entries).toHaveLength(before.entries.length + 3);
      expect(after.outbox).toHaveLength(before.outbox.length + 3);
    });

    it('names bad rows by number (from 1) when DTO validation fails', async () => {
      const answer = await refused(400, 'POST', BULK, { entries: [row('Good A'), row('Bad grade', { grade: 'L7' }), row('Good B'), row('', {})] });
      const fields = answer.fields as FieldProblem[];
      expect(fields.map(({ field, row: r }) => ({ field, row: r })).sort((a, b) => a.field.localeCompare(b.field))).toEqual([
        { field: 'entries.1.grade', row: 2 },
        { field: 'entries.3.name', row: 4 },
      ]);
    });

    it('names a bad nested field with its row', async () => {
      const answer = await refused(400, 'POST', BULK, {
        entries: [row('Good'), row('Nested', { dataItems: [{ name: 'x', type: 'blob', sensitive: false }] })],
      });
      expect(answer.fields).toEqual([expect.objectContaining({ field: 'entries.1.dataItems.0.type', row: 2 })]);
    });

    it('names a row that fails a check across fields (400)', async () => {
      const answer = await refused(400, 'POST', BULK, { entries: [row('Good'), row('Good 2'), row('No items', { dataItems: [] })] });
      expect(answer.fields).toEqual([expect.objectContaining({ field: 'entries.2.dataItems', row: 3 })]);
    });

    it('refuses a row breaking a rule with 422 "row N:" and writes none of the good rows', async () => {
      const answer = await refused(422, 'POST', BULK, { entries: [row('Good 1'), row('Good 2'), row('Open L4', { grade: 'L4' })] });
      expect(answer.rule).toBe('l4-never-opened');
      expect(answer.article).toMatch(/DB33\/T 2351/);
      expect(answer.message).toMatch(/^row 3: /);
    });

    it('reports every row breaking a rule, each by number', async () => {
      const answer = await refused(422, 'POST', BULK, {
        entries: [row('Good 1'), row('Secret', { stateSecret: true }), row('Good 2'), row('Elsewhere', { regionScope: '330108' })],
      });
      expect(answer.message).toMatch(/^row 2: /);
      const refusals = answer.refusals as { rule: string; message: string }[];
      expect(refusals.map((r) => [r.rule, r.message.slice(0, 7)])).toEqual([
        ['state-secret', 'row 2: '],
        ['region-outside-jurisdiction', 'row 4: '],
      ]);
    });

    it('answers malformed rows (400) before rule refusals (422), naming only the malformed ones', async () => {
      const answer = await refused(400, 'POST', BULK, { entries: [row('Open L4', { grade: 'L4' }), row('No items', { dataItems: [] }), row('Good')] });
      expect(answer.fields).toEqual([expect.objectContaining({ field: 'entries.1.dataItems', row: 2 })]);
    });

    it('answers rule refusals (422) before code conflicts (409)', async () => {
      const answer = await refused(422, 'POST', BULK, { entries: [row('Taken', { code: existing.code }), row('Secret', { stateSecret: true })] });
      expect(answer.rule).toBe('state-secret');
      expect(answer.message).toMatch(/^row 2: /);
    });

    it('refuses a code repeated inside the upload, or already taken, with 409 naming the row', async () => {
      const inside = await refused(409, 'POST', BULK, { entries: [row('A', { code: 'XH-DUP' }), row('B', { code: 'XH-DUP' })] });
      expect(inside.message).toMatch(/row 2/);
      const taken = await refused(409, 'POST', BULK, { entries: [row('A'), row('B', { code: existing.code })] });
      expect(taken.message).toMatch(/row 2/);
    });

    it.each([
      ['no entries property', {}, ['entries']],
      ['an empty upload', { entries: [] }, ['entries']],
      ['entries that is not an array', { entries: 'x' }, ['entries']],
      ['a row that is not an object', { entries: ['x'] }, ['entries.0']],
      ['a row that is an array', { entries: [[]] }, ['entries']],
      ['a row that is null', { entries: [null] }, ['entries']],
      ['rows nested in arrays', { entries: [[entry()]] }, ['entries']],
      ['an unknown property next to entries', { entries: [entry()], dryRun: true }, ['dryRun']],
    ])('refuses %s with 400', async (_label, body, fields) => {
      const answer = await refused(400, 'POST', BULK, body);
      expect(fieldsOf(answer).map((f) => f.split('.').slice(0, 2).join('.'))).toEqual(expect.arrayContaining(fields));
    });

    it('names the rows that are not objects', async () => {
      const answer = await refused(400, 'POST', BULK, { entries: [row('Good'), [], row('Good 2'), [row('Nested')]] });
      expect(answer.fields).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'entries', messages: [expect.stringContaining('items 2, 4 are not')] })]),
      );
    });

    it('refuses more than 1,000 rows with 400', async () => {
      const entries = Array.from({ length: 1001 }, (_, i) => row(`Row ${i + 1}`));
      expect(fieldsOf(await refused(400, 'POST', BULK, { entries }))).toEqual(['entries']);
    });

    it('answers a malformed JSON body with 400', async () => {
      await refused(400, 'POST', BULK, '{"entries": [');
    });
  });

  describe('listing', () => {
    const ids = (items: Entry[]) => items.map((e) => e.id);

    it('pages with a keyset cursor through every entry exactly once', async () => {
      const all = (await api(node.url, 'GET', `${ENTRIES}?status=all&limit=500`)).body.items as Entry[];
      const count = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM catalog_entry'))[0].n);
      expect(all).toHaveLength(count);
      expect(count).toBeGreaterThan(7);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { status: number; body: { items: Entry[]; nextCursor: string | null } } = await api(
          node.url,
          'GET',
          `${ENTRIES}?status=all&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(3);
        seen.push(...ids(page.body.items));
        cursor = page.body.nextCursor;
        pages += 1;
      } while (cursor && pages < 100);
      expect(seen).toEqual(ids(all));
      expect(new Set(seen).size).toBe(count);
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(count / 3));
    });

    it('shows retired entries only with status=retired or status=all', async () => {
      const created = await api(node.url, 'POST', ENTRIES, entry({ name: 'Listed then retired' }));
      const id: string = created.body.id;
      expect(ids((await api(node.url, 'GET', `${ENTRIES}?limit=500`)).body.items)).toContain(id);
      await api(node.url, 'DELETE', `${ENTRIES}/${id}`);
      const active = (await api(node.url, 'GET', `${ENTRIES}?limit=500`)).body.items as Entry[];
      expect(ids(active)).not.toContain(id);
      assertEvery(active, (e) => e.status === 'active', 'entries listed as active');
      const retired = (await api(node.url, 'GET', `${ENTRIES}?status=retired&limit=500`)).body.items as Entry[];
      expect(ids(retired)).toContain(id);
      assertEvery(retired, (e) => e.status === 'retired', 'entries listed as retired');
      expect(ids((await api(node.url, 'GET', `${ENTRIES}?status=all&limit=500`)).body.items)).toContain(id);
    });

    it('filters by words in name, summary or code, with % and _ taken literally', async () => {
      const a = await api(node.url, 'POST', ENTRIES, entry({ name: 'Hydrology gauges 100%', code: 'XH-HYD-1' }));
      const b = await api(node.url, 'POST', ENTRIES, entry({ name: 'Road works', summary: 'Closures due to hydrology surveys' }));
      expect(ids((await api(node.url, 'GET', `${ENTRIES}?q=HYDROLOGY`)).body.items).sort()).toEqual([a.body.id, b.body.id].sort());
      expect(ids((await api(node.url, 'GET', `${ENTRIES}?q=${encodeURIComponent('100%')}`)).body.items)).toEqual([a.body.id]);
      expect(ids((await api(node.url, 'GET', `${ENTRIES}?q=${encodeURIComponent('%')}`)).body.items)).toEqual([a.body.id]);
      expect(ids((await api(node.url, 'GET', `${ENTRIES}?q=XH-HYD`)).body.items)).toEqual([a.body.id]);
      expect((await api(node.url, 'GET', `${ENTRIES}?q=nothing-like-this`)).body).toEqual({ items: [], nextCursor: null });
    });

    it('filters by type', async () => {
      const compute = await api(node.url, 'POST', ENTRIES, entry({ name: 'GPU pool', type: 'compute', dataItems: [] }));
      expect(compute.status).toBe(201);
      const listed = (await api(node.url, 'GET', `${ENTRIES}?type=compute`)).body.items as Entry[];
      expect(ids(listed)).toEqual([compute.body.id]);
      const data = (await api(node.url, 'GET', `${ENTRIES}?type=data&limit=500`)).body.items as Entry[];
      expect(data.length).toBeGreaterThan(0);
      assertEvery(data, (e) => e.type === 'data', 'entries listed as data');
    });

    it('separates local entries from replicas with scope and origin', async () => {
      const local = (await api(node.url, 'GET', `${ENTRIES}?scope=local&limit=500`)).body.items as Entry[];
      expect(local.length).toBeGreaterThan(0);
      assertEvery(local, (e) => e.origin === NODE, 'entries listed as local');
      expect(ids(local)).not.toContain(replicaId);
      const subtree = (await api(node.url, 'GET', `${ENTRIES}?limit=500`)).body.items as Entry[];
      expect(ids(subtree)).toContain(replicaId);
      expect(subtree).toHaveLength(local.length + 1);
      expect(ids((await api(node.url, 'GET', `${ENTRIES}?origin=330108`)).body.items)).toEqual([replicaId]);
      expect((await api(node.url, 'GET', `${ENTRIES}?scope=local&origin=330108`)).body.items).toEqual([]);
      expect(ids((await api(node.url, 'GET', `${ENTRIES}?scope=local&origin=${NODE}&limit=500`)).body.items)).toEqual(ids(local));
    });

    it('gets one entry by id, the replica included', async () => {
      expect((await api(node.url, 'GET', `${ENTRIES}/${existing.id}`)).body).toEqual(existing);
      expect((await api(node.url, 'GET', `${ENTRIES}/${replicaId}`)).body).toMatchObject({ id: replicaId, origin: '330108', version: 3 });
    });
  });

  it('registered with defaults: own region scope, generated code, version 1, active', () => {
    expect(existing).toMatchObject({ origin: NODE, regionScope: NODE, version: 1, status: 'active', code: 'XH-EXISTING-1' });
  });
});
