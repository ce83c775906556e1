// Who may call what (Articles 6, 7 and 9): every role, and the public, against every route
// the running node serves. The routes come from the application itself, so a new endpoint that is
// not in MATRIX fails this test until someone decides who may call it.
import { randomUUID } from 'node:crypto';
import { accessToken, anonymous, api, apiWith, createTestDatabase, deleteNamespaceStreams, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';
import { accountWith, routesOf } from './support/auth';
import type { INestApplication } from '@nestjs/common';

type Who = 'operator' | 'institution-admin' | 'institution-user' | 'auditor' | 'supervisor';
const PUBLIC = 'public' as const;
const STAFF: Who[] = ['operator', 'institution-admin', 'institution-user'];
/** Staff and the supervisor: what the catalog and its figures show, never a dataset's rows. */
const READERS: Who[] = [...STAFF, 'supervisor'];
/** Supervision figures: the operator and the supervisor. */
const SUPERVISION: Who[] = ['operator', 'supervisor'];
const WRITERS: Who[] = ['operator', 'institution-admin'];
const OPERATOR: Who[] = ['operator'];
const SIGNED_IN: Who[] = ['operator', 'institution-admin', 'institution-user', 'auditor', 'supervisor'];
const AUDIT: Who[] = ['operator', 'auditor'];

/** Route -> who may call it. The table in docs/operator-guide.md ("Who may do what") is this one. */
const MATRIX: Record<string, typeof PUBLIC | Who[]> = {
  'GET /health': PUBLIC,
  'GET /health/live': PUBLIC,
  'GET /metrics': OPERATOR,
  'GET /api/v1/metrics/history': OPERATOR,
  'GET /api/v1/open/catalog': PUBLIC,
  'GET /api/v1/open/entries/:id': PUBLIC,
  'GET /api/v1/open/entries/:id/rows': PUBLIC,
  'GET /api/v1/open/entries/:id/download': PUBLIC,
  'POST /api/v1/open/applications': PUBLIC,
  'GET /api/v1/open/applications/:id': PUBLIC,
  'GET /api/v1/open-applications': WRITERS,
  'POST /api/v1/open-applications/:id/approve': WRITERS,
  'POST /api/v1/open-applications/:id/reject': WRITERS,
  'POST /api/v1/auth/login': PUBLIC,
  'POST /api/v1/auth/refresh': PUBLIC,
  'POST /api/v1/auth/logout': PUBLIC,
  'POST /api/v1/auth/setup': PUBLIC,
  'GET /api/v1/auth/me': SIGNED_IN,
  'POST /api/v1/auth/password': SIGNED_IN,
  'GET /api/v1/node': READERS,
  'GET /api/v1/federation/status': SUPERVISION,
  'POST /api/v1/supervision/quality/run': OPERATOR,
  'GET /api/v1/supervision/quality': SUPERVISION,
  'GET /api/v1/supervision/quality/rules': SUPERVISION,
  'PUT /api/v1/supervision/quality/rules': OPERATOR,
  'GET /api/v1/supervision/quality/entries/:id': SUPERVISION,
  'GET /api/v1/federation/digest': SUPERVISION,
  'GET /api/v1/federation/parked': SUPERVISION,
  'POST /api/v1/federation/parked/reread': OPERATOR,
  'GET /api/v1/federation/nodes': SUPERVISION,
  'POST /api/v1/federation/nodes/:code/approve': OPERATOR,
  'POST /api/v1/federation/nodes/:code/reject': OPERATOR,
  'POST /api/v1/federation/nodes/:code/revoke': OPERATOR,
  'GET /api/v1/federation/trust-list': SUPERVISION,
  'GET /api/v1/federation/channel/:node/ping': SUPERVISION,
  'POST /api/v1/federation/trust-list/reset': OPERATOR,
  'POST /api/v1/federation/key/rotate': OPERATOR,
  'POST /api/v1/institutions': OPERATOR,
  'GET /api/v1/institutions': READERS,
  'POST /api/v1/catalog/entries': WRITERS,
  'POST /api/v1/catalog/entries/bulk': WRITERS,
  'GET /api/v1/catalog/entries': READERS,
  'GET /api/v1/search': READERS,
  'GET /api/v1/search/entries/:id': READERS,
  'GET /api/v1/catalog/entries/:id': READERS,
  'PATCH /api/v1/catalog/entries/:id': WRITERS,
  'DELETE /api/v1/catalog/entries/:id': WRITERS,
  'POST /api/v1/datasets/:entryId/rows': WRITERS,
  'POST /api/v1/datasets/:entryId/rows/delete': WRITERS,
  'DELETE /api/v1/datasets/:entryId/rows/:rowKey': WRITERS,
  'GET /api/v1/datasets/:entryId': STAFF,
  'GET /api/v1/datasets/:entryId/rows': STAFF,
  'POST /api/v1/returns/requests': STAFF,
  'GET /api/v1/returns/requests': STAFF,
  'GET /api/v1/returns/requests/:id': STAFF,
  'POST /api/v1/returns/requests/:id/approve': OPERATOR,
  'POST /api/v1/returns/requests/:id/reject': OPERATOR,
  'POST /api/v1/returns/requests/:id/sync': STAFF,
  'POST /api/v1/returns/requests/:id/withdraw': STAFF,
  'POST /api/v1/returns/requests/:id/revoke': OPERATOR,
  'GET /api/v1/returns/subtree-requests': STAFF,
  'GET /api/v1/returns/requests/:id/rows': STAFF,
  'GET /api/v1/returns/jobs': STAFF,
  'GET /api/v1/returns/jobs/:id': STAFF,
  'POST /api/v1/shares': STAFF,
  'GET /api/v1/shares': STAFF,
  'GET /api/v1/shares/:id': STAFF,
  'POST /api/v1/shares/:id/approve': WRITERS,
  'POST /api/v1/shares/:id/reject': WRITERS,
  'POST /api/v1/shares/:id/revoke': WRITERS,
  'POST /api/v1/shares/:id/withdraw': STAFF,
  'POST /api/v1/shares/:id/query': STAFF,
  'POST /api/v1/shares/:id/deliveries': STAFF,
  'GET /api/v1/shares/:id/deliveries': STAFF,
  'GET /api/v1/shares/:id/deliveries/:deliveryId': STAFF,
  'GET /api/v1/shares/:id/rows': STAFF,
  'POST /api/v1/accounts': WRITERS,
  'GET /api/v1/accounts': WRITERS,
  'GET /api/v1/accounts/:id': WRITERS,
  'POST /api/v1/accounts/:id/disable': WRITERS,
  'POST /api/v1/accounts/:id/enable': WRITERS,
  'POST /api/v1/accounts/:id/password': WRITERS,
  'PUT /api/v1/accounts/:id/roles': OPERATOR,
  'GET /api/v1/audit': AUDIT,
  'GET /api/v1/audit/verify': AUDIT,
  'GET /api/v1/audit/export': AUDIT,
  'POST /api/v1/audit/prune': OPERATOR,
  'GET /api/v1/supervision/states': SUPERVISION,
  'GET /api/v1/supervision/access': SUPERVISION,
  'GET /api/v1/supervision/alerts': SUPERVISION,
  'POST /api/v1/supervision/access/run': OPERATOR,
  'POST /api/v1/projects': WRITERS,
  'GET /api/v1/projects': WRITERS,
  'GET /api/v1/projects/:id': WRITERS,
  'PATCH /api/v1/projects/:id': WRITERS,
  'POST /api/v1/projects/:id/reviews': OPERATOR,
  'GET /api/v1/projects/synonyms': OPERATOR,
  'PUT /api/v1/projects/synonyms': OPERATOR,
  'POST /api/v1/projects/synonyms': OPERATOR,
  'GET /api/v1/supervision/projects': SUPERVISION,
  'GET /api/v1/resources/:entryId': READERS,
  'PUT /api/v1/resources/:entryId/dependencies': WRITERS,
  'PUT /api/v1/resources/:entryId/capacity': WRITERS,
  'POST /api/v1/resources/:entryId/allocations': WRITERS,
  'GET /api/v1/supervision/resources': SUPERVISION,
  'GET /api/v1/supervision/assessment': SUPERVISION,
  'GET /api/v1/supervision/assessment/weights': SUPERVISION,
  'PUT /api/v1/supervision/assessment/weights': OPERATOR,
  'GET /api/v1/supervision/assessment/export.csv': SUPERVISION,
  'GET /api/v1/supervision/assessment/report.html': SUPERVISION,
  'GET /api/v1/supervision/assessment/:division': SUPERVISION,
};

/** The API documentation, served by Swagger outside Nest's router: public, and not part of the matrix. */
const DOCUMENTATION = /^GET \/api\/docs/;

/** A request to `route` with made-up ids and an empty body: enough to pass or fail the gate, never to change anything. */
function concrete(route: string): { method: string; path: string; body?: unknown } {
  const [method, template] = route.split(' ');
  const path = template
    .replace(/:rowKey/g, 'k1')
    .replace(/:code/g, '330199')
    .replace(/:node/g, '330199')
    .replace(/:division/g, '330106')
    .replace(/:[A-Za-z]+/g, () => randomUUID());
  return { method, path, body: ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined };
}

describe('authorization matrix', () => {
  const namespace = testNamespace();
  const dbs: TestDatabase[] = [];
  let province: RunningNode & { app: INestApplication };
  let city: RunningNode & { app: INestApplication };
  let county: RunningNode & { app: INestApplication };
  const tokens: Partial<Record<Who, string>> = {};
  let routes: string[];

  beforeAll(async () => {
    const [p, c, k] = await Promise.all(['matrix_p', 'matrix_c', 'matrix_k'].map((label) => createTestDatabase(label)));
    dbs.push(p, c, k);
    province = await startInProcessNode({ code: '330000', databaseUrl: p.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
    city = await startInProcessNode({ code: '330100', parentCode: '330000', databaseUrl: c.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
    county = await startInProcessNode({ code: '330106', parentCode: '330100', databaseUrl: k.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
    const institution = await api(province.url, 'POST', '/api/v1/institutions', sampleInstitution());
    expect(institution.status).toBe(201);
    tokens.operator = await accessToken(province.url);
    tokens['institution-admin'] = (await accountWith(province.url, 'inst.admin', [{ role: 'institution-admin', institutionId: institution.body.id }])).token;
    tokens['institution-user'] = (await accountWith(province.url, 'inst.user', [{ role: 'institution-user', institutionId: institution.body.id }])).token;
    tokens.auditor = (await accountWith(province.url, 'auditor', [{ role: 'auditor' }])).token;
    tokens.supervisor = (await accountWith(province.url, 'supervisor', [{ role: 'supervisor' }])).token;
    routes = routesOf(province.app).filter((r) => !DOCUMENTATION.test(r));
  });

  afterAll(async () => {
    for (const node of [county, city, province]) await node?.stop();
    for (const db of dbs) await db.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  it('covers every route the node serves, and only those', () => {
    expect(routes.length).toBeGreaterThan(30);
    expect({ missingFromMatrix: routes.filter((r) => !(r in MATRIX)), notServed: Object.keys(MATRIX).filter((r) => !routes.includes(r)) }).toEqual({
      missingFromMatrix: [],
      notServed: [],
    });
    // The three tiers serve the same routes.
    expect(routesOf(city.app).filter((r) => !DOCUMENTATION.test(r))).toEqual(routes);
    expect(routesOf(county.app).filter((r) => !DOCUMENTATION.test(r))).toEqual(routes);
  });

  /** Every route for one caller: allowed ones pass the gate (no 401/403, never 500), the others are 401 (no token) or 403. */
  async function mismatches(base: string, who: Who | 'anonymous', token: string | undefined): Promise<string[]> {
    const wrong: string[] = [];
    for (const route of routes) {
      const access = MATRIX[route];
      if (!access) {
        wrong.push(`${route}: not in MATRIX`);
        continue;
      }
      const allowed = access === PUBLIC || (who !== 'anonymous' && access.includes(who));
      const { method, path, body } = concrete(route);
      const { status } = token ? await apiWith(token, base, method, path, body) : await anonymous(base, method, path, body);
      const expected = allowed ? 'allowed' : who === 'anonymous' ? 401 : 403;
      const got = status === 401 || status === 403 ? status : status >= 500 ? `${status}` : 'allowed';
      if (got !== expected) wrong.push(`${route}: expected ${expected}, got ${status}`);
    }
    return wrong;
  }

  it('the public reaches only open data, sign-in and health', async () => {
    expect(await mismatches(province.url, 'anonymous', undefined)).toEqual([]);
  });

  it.each(['operator', 'institution-admin', 'institution-user', 'auditor', 'supervisor'] as Who[])('%s at the province', async (who) => {
    expect(await mismatches(province.url, who, tokens[who])).toEqual([]);
  });

  it('the municipal admin at the city and the county operator at the county', async () => {
    expect(await mismatches(city.url, 'operator', await accessToken(city.url))).toEqual([]);
    expect(await mismatches(county.url, 'operator', await accessToken(county.url))).toEqual([]);
  });

  it("a node's token is refused everywhere else: a county operator cannot act at the city", async () => {
    const countyToken = await accessToken(county.url);
    const atCity = await apiWith(countyToken, city.url, 'POST', '/api/v1/institutions', sampleInstitution('Not yours'));
    expect(atCity).toMatchObject({ status: 401 });
    expect((await apiWith(await accessToken(province.url), county.url, 'GET', '/api/v1/federation/status')).status).toBe(401);
  });

  it('a garbled, forged or missing token is 401 with a Bearer challenge, a bad scheme too', async () => {
    const response = await fetch(`${province.url}/api/v1/node`, { headers: { authorization: 'Bearer not.a.token' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(`${province.url}/api/v1/node`, { headers: { authorization: `Basic ${Buffer.from('admin:x').toString('base64')}` } })).status).toBe(401);
    const [header, payload, signature] = (tokens.auditor as string).split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: claims.sub.replace(/^./, (c: string) => (c === 'a' ? 'b' : 'a')) })).toString('base64url');
    expect((await apiWith(`${header}.${forged}.${signature}`, province.url, 'GET', '/api/v1/auth/me')).status).toBe(401);
  });

  it('the API documentation stays public', async () => {
    expect((await anonymous(province.url, 'GET', '/api/docs-json')).status).toBe(200);
  });
});
