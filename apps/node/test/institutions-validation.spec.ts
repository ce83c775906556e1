import { randomUUID } from 'node:crypto';
import { api, createTestDatabase, deleteNamespaceStreams, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';
import { Body, expectRefused, fieldsOf, snapshotTables } from './support/refusals';

/**
 * Institution registration at one county node (Xihu, 330106): every 400 names the fields at
 * fault, a taken credit code is a 409, and after each refusal the institution, catalog_entry and
 * outbox tables hold exactly what they held before. The parent (330100) does not run, so the
 * outbox keeps every record the node queued (a province would queue none).
 */
const NODE = '330106';
const OTHER = '330108';
const INSTITUTIONS = '/api/v1/institutions';

interface Institution {
  id: string;
  origin: string;
  name: string;
  kind: string;
  creditCode: string | null;
  status: string;
  version: number;
}

// GB 32100-2015, written out here independently of the service's validator.
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
function withCheckCharacter(first17: string): string {
  const sum = [...first17].reduce((acc, c, i) => acc + WEIGHTS[i] * ALPHABET.indexOf(c), 0);
  return first17 + ALPHABET[(31 - (sum % 31)) % 31];
}
let serial = 0;
/** A valid code, different on every call: registration authority 1 (government), type 1, Xihu. */
function creditCode(): string {
  serial += 1;
  return withCheckCharacter(`11330106${String(Date.now() % 1e5).padStart(5, '0')}${String(serial).padStart(4, '0')}`);
}
/** The same code with a wrong check character. */
function withWrongCheck(code: string): string {
  const right = ALPHABET.indexOf(code[17]);
  return code.slice(0, 17) + ALPHABET[(right + 1) % 31];
}

describe(`institution API at county ${NODE}`, () => {
  let db: TestDatabase;
  let node: RunningNode;
  const namespace = testNamespace();
  let first: Institution;
  let replicaId: string;

  beforeAll(async () => {
    db = await createTestDatabase('instval');
    node = await startInProcessNode({ code: NODE, parentCode: '330100', databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
    const created = await api(node.url, 'POST', INSTITUTIONS, { ...sampleInstitution('Provincial Data Bureau'), creditCode: creditCode() });
    expect(created.status).toBe(201);
    first = created.body;
    // An institution of another origin, as replication would leave it at a node above.
    replicaId = randomUUID();
    await db.query(
      `INSERT INTO institution (id, origin, name, kind, credit_code, status, version, created_at, updated_at)
       VALUES ($1, $2, 'Binjiang Data Bureau', 'government', $3, 'active', 2, now(), now())`,
      [replicaId, OTHER, creditCode()],
    );
  });

  afterAll(async () => {
    await node?.stop();
    await db?.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  const snapshot = () => snapshotTables(db);
  const refused = (status: number, method: string, path: string, body?: unknown) => expectRefused(db, node.url, status, method, path, body);

  describe('400 naming the fields at fault', () => {
    it('names name and kind for an empty body', async () => {
      expect(fieldsOf(await refused(400, 'POST', INSTITUTIONS, {}))).toEqual(['kind', 'name']);
    });

    const bad: [string, () => Body, string[]][] = [
      ['a missing name', () => ({ kind: 'government' }), ['name']],
      ['a blank name', () => ({ name: '  ', kind: 'government' }), ['name']],
      ['a name of 201 characters', () => ({ name: 'n'.repeat(201), kind: 'government' }), ['name']],
      ['a number for the name', () => ({ name: 12, kind: 'government' }), ['name']],
      ['a NUL character in the name', () => ({ name: 'Bureau\u0000', kind: 'government' }), ['name']],
      ['a missing kind', () => ({ name: 'Bureau' }), ['kind']],
      ['an unknown kind', () => ({ name: 'Bureau', kind: 'company' }), ['kind']],
      ['a kind in the wrong case', () => ({ name: 'Bureau', kind: 'Government' }), ['kind']],
      ['a credit code with a wrong check character', () => ({ ...sampleInstitution(), creditCode: withWrongCheck(creditCode()) }), ['creditCode']],
      ['a real credit code with its check character changed', () => ({ ...sampleInstitution(), creditCode: '91330100799655058C' }), ['creditCode']],
      ['a credit code of 17 characters', () => ({ ...sampleInstitution(), creditCode: creditCode().slice(0, 17) }), ['creditCode']],
      ['a credit code of 19 characters', () => ({ ...sampleInstitution(), creditCode: `${creditCode()}0` }), ['creditCode']],
      ['a credit code in lower case', () => ({ ...sampleInstitution(), creditCode: '91330100799655058b' }), ['creditCode']],
      ['a credit code with a letter GB 32100 excludes (I)', () => ({ ...sampleInstitution(), creditCode: '91330100I99655058B' }), ['creditCode']],
      ['a credit code given as a number', () => ({ ...sampleInstitution(), creditCode: 913301007996550580 }), ['creditCode']],
      ['an empty credit code', () => ({ ...sampleInstitution(), creditCode: '' }), ['creditCode']],
      ['an unknown property', () => ({ ...sampleInstitution(), address: 'West Lake' }), ['address']],
      ['an origin chosen by the client', () => ({ ...sampleInstitution(), origin: OTHER }), ['origin']],
      ['a status chosen by the client', () => ({ ...sampleInstitution(), status: 'retired' }), ['status']],
    ];
    it.each(bad)('refuses %s', async (_label, body, fields) => {
      expect(fieldsOf(await refused(400, 'POST', INSTITUTIONS, body()))).toEqual(fields);
    });

    it('names every bad field at once', async () => {
      expect(fieldsOf(await refused(400, 'POST', INSTITUTIONS, { name: '', kind: 'x', creditCode: '123', extra: 1 }))).toEqual([
        'creditCode',
        'extra',
        'kind',
        'name',
      ]);
    });

    it.each([
      ['a truncated JSON body', '{"name": "Bureau", '],
      ['a JSON array', '[{"name": "Bureau", "kind": "government"}]'],
      ['a bare string', '"Bureau"'],
    ])('answers %s with 400, not 500', async (_label, raw) => {
      expect((await refused(400, 'POST', INSTITUTIONS, raw)).statusCode).toBe(400);
    });

    it.each([
      ['an unknown scope', 'scope=all', ['scope']],
      ['limit 0', 'limit=0', ['limit']],
      ['limit 501', 'limit=501', ['limit']],
      ['limit abc', 'limit=abc', ['limit']],
      ['a bad origin', 'origin=3301', ['origin']],
      ['a cursor this API never returned', 'cursor=nope', ['cursor']],
      ['an unknown parameter', 'kind=government', ['kind']],
    ])('refuses a listing with %s', async (_label, query, fields) => {
      expect(fieldsOf(await refused(400, 'GET', `${INSTITUTIONS}?${query}`))).toEqual(fields);
    });
  });

  describe('409 for a credit code already registered here', () => {
    it('refuses a second institution with the same code', async () => {
      const answer = await refused(409, 'POST', INSTITUTIONS, { name: 'Impostor', kind: 'public-service', creditCode: first.creditCode });
      expect(answer.field).toBe('creditCode');
    });

    it('answers concurrent registrations of one new code with one 201 and 409s, never a 500', async () => {
      const code = creditCode();
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => api(node.url, 'POST', INSTITUTIONS, { name: `Racer ${i}`, kind: 'government', creditCode: code })),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      expect(await db.query('SELECT id FROM institution WHERE credit_code = $1', [code])).toHaveLength(1);
      expect(await db.query('SELECT seq FROM outbox WHERE payload LIKE $1', [`%${code}%`])).toHaveLength(1);
    });
  });

  describe('registration and listing', () => {
    it('registers with and without a credit code, one outbox record each', async () => {
      const before = await snapshot();
      const code = creditCode();
      const a = await api(node.url, 'POST', INSTITUTIONS, { name: '  Health Commission  ', kind: 'public-service', creditCode: code });
      expect(a.status).toBe(201);
      expect(a.body).toMatchObject({ origin: NODE, name: 'Health Commission', kind: 'public-service', creditCode: code, status: 'active', version: 1 });
      // Institutions without a code do not collide with one another.
      const b = await api(node.url, 'POST', INSTITUTIONS, { name: 'Archives', kind: 'state-department' });
      const c = await api(node.url, 'POST', INSTITUTIONS, { name: 'Archives annex', kind: 'state-department' });
      expect([b.status, c.status]).toEqual([201, 201]);
      expect(b.body.creditCode).toBeNull();
      const after = await snapshot();
      expect(after.institutions).toHaveLength(before.institutions.length + 3);
      expect(after.outbox).toHaveLength(before.outbox.length + 3);
      expect(after.outbox.slice(0, before.outbox.length)).toEqual(before.outbox);
      expect(after.entries).toEqual(before.entries);
    });

    it('accepts real credit codes', async () => {
      for (const code of ['91330100799655058B', '91350100M000100Y43']) {
        expect((await api(node.url, 'POST', INSTITUTIONS, { name: `Holder of ${code}`, kind: 'government', creditCode: code })).status).toBe(201);
      }
    });

    it('lists local institutions and replicas by scope and origin, paging through each once', async () => {
      const rows = await db.query<{ id: string; origin: string }>('SELECT id, origin FROM institution ORDER BY row_seq');
      const all = (await api(node.url, 'GET', `${INSTITUTIONS}?limit=500`)).body.items as Institution[];
      expect(all.map((i) => i.id)).toEqual(rows.map((r) => r.id));
      expect(all.map((i) => i.id)).toContain(replicaId);
      const local = (await api(node.url, 'GET', `${INSTITUTIONS}?scope=local&limit=500`)).body.items as Institution[];
      expect(local.map((i) => i.id)).toEqual(rows.filter((r) => r.origin === NODE).map((r) => r.id));
      expect(local.map((i) => i.id)).not.toContain(replicaId);
      expect((await api(node.url, 'GET', `${INSTITUTIONS}?origin=${OTHER}`)).body.items.map((i: Institution) => i.id)).toEqual([replicaId]);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { status: number; body: { items: Institution[]; nextCursor: string | null } } = await api(
          node.url,
          'GET',
          `${INSTITUTIONS}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((i) => i.id));
        cursor = page.body.nextCursor;
        pages += 1;
      } while (cursor && pages < 100);
      expect(seen).toEqual(rows.map((r) => r.id));
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(rows.length / 2));
    });
  });
});
