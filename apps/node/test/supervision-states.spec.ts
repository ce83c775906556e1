import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AccessStateData,
  type Envelope,
  generateSigningKey,
  publicKeyFromBase64url,
  sealRecord,
  type SigningKey,
  signingKeyFromPem,
  type SupervisionState,
  type SupervisionStateView,
  verifyEnvelope,
} from '@tdx/contracts';
import { api, createTestDatabase, deleteNamespaceStreams, eventually, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { SupervisionStates } from '../src/supervision/supervision-states.service';
import { RunningNode, startInProcessNode } from './support/nodes';
import { childStatus, LinkInjector, wire } from './support/replication';

/**
 * The carrier of supervision figures, county 330106 -> city 330100 -> province 330000 on the real
 * PostgreSQL and NATS: a state published at the county arrives signed and unchanged at both
 * ancestors, a newer version replaces it, an older one replayed changes nothing, and crafted
 * records (bad signature, data outside the topic's schema, an origin outside the sender's subtree,
 * a body claiming another origin) are refused into rejected_message and stored nowhere.
 */
describe('supervision states carried up the tree', () => {
  const namespace = testNamespace();
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-supervision-states-'));
  const countyKeyFile = join(keyDir, 'node-330106.pem');
  const databases = {} as Record<'province' | 'city' | 'county', TestDatabase>;
  let province: RunningNode;
  let city: RunningNode;
  let county: RunningNode & { app: { get<T>(type: new (...args: never[]) => T): T } };
  let countyKey: SigningKey;
  let injector: LinkInjector;
  let first: SupervisionStateView;

  beforeAll(async () => {
    for (const tier of ['province', 'city', 'county'] as const) databases[tier] = await createTestDatabase(`supstates_${tier}`);
    const spec = { natsUrl: SHARED_NATS_URL, natsNamespace: namespace };
    province = await startInProcessNode({ ...spec, code: '330000', databaseUrl: databases.province.url });
    city = await startInProcessNode({ ...spec, code: '330100', parentCode: '330000', databaseUrl: databases.city.url });
    county = await startInProcessNode({ ...spec, code: '330106', parentCode: '330100', databaseUrl: databases.county.url, keyFile: countyKeyFile });
    countyKey = signingKeyFromPem(readFileSync(countyKeyFile, 'utf8'));
    injector = await LinkInjector.connect(SHARED_NATS_URL, namespace);
    await eventually(async () => expect((await api(county.url, 'GET', '/api/v1/node')).body.parent.link.joined).toBe(true), 30_000);
  }, 90_000);

  afterAll(async () => {
    await injector?.close().catch(() => undefined);
    for (const node of [county, city, province]) await node?.stop().catch(() => undefined);
    for (const db of Object.values(databases)) await db.drop().catch(() => undefined);
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    rmSync(keyDir, { recursive: true, force: true });
  });

  /** Access figures of the county, small and valid; `rows` makes each one distinct. */
  const figures = (rows: number): AccessStateData => ({
    period: { from: '2026-11-06T00:00:00.000Z', to: '2026-12-06T00:00:00.000Z' },
    volumes: {
      returns: 2,
      shareQueries: 3,
      shareDeliveries: 1,
      rows,
      institutions: [{ institution: '6f1c2a4e-9d3b-4c1a-8e2f-0a1b2c3d4e5f', returns: 2, shareQueries: 3, shareDeliveries: 1, rows }],
      counterparts: [{ node: '330100', returns: 2, shareQueries: 0, shareDeliveries: 0, rows: 10 }],
    },
    refused: 1,
    refusedByClass: [{ class: 'return-refused', count: 1 }],
    decisions: { answered: 4, overdue: 1, medianHoursToDecide: 5.5 },
    grantsExpiringSoon: 0,
    securityEvents: 0,
    securityEventsByKind: { rejectedMessages: 0, refusedSignIns: 0, forbidden: 0 },
    alerts: [{ kind: 'overdue-decision', subject: 'return:0b9c5b8e-6d1a-4f4b-9a7e-1c2d3e4f5a6b', message: 'undecided' }],
    links: [],
  });

  async function statesAt(node: RunningNode, query = 'topic=access&within=330106'): Promise<SupervisionStateView[]> {
    const page = await api(node.url, 'GET', `/api/v1/supervision/states?${query}`);
    expect(page.status).toBe(200);
    return page.body.items;
  }

  async function countyPublicKey(): Promise<string> {
    const list = await api(province.url, 'GET', '/api/v1/federation/trust-list');
    const entry = (list.body.nodes as { code: string; publicKey: string }[]).find((n) => n.code === '330106');
    if (!entry) throw new Error('the trust list names no 330106');
    return entry.publicKey;
  }

  let craftedSeq = 5_000_000;
  const sealState = (state: SupervisionState, key: SigningKey, origin = state.origin): Envelope =>
    sealRecord({ v: 2, kind: 'supervision.state', origin, seq: craftedSeq++, at: new Date().toISOString(), body: state } as never, key);

  it('carries a county state to the city and the province, same version and data, signed by the county', async () => {
    const outcome = await county.app.get(SupervisionStates).publishNow('access', 'node', figures(100));
    expect(outcome.kind).toBe('published');
    const published = outcome.kind === 'published' ? outcome.state : undefined;
    const atCounty = await statesAt(county);
    expect(atCounty).toEqual([expect.objectContaining({ origin: '330106', topic: 'access', key: 'node', version: published?.version, data: figures(100) })]);
    for (const tier of [city, province]) {
      await eventually(async () => expect((await statesAt(tier)).map((s) => s.version)).toEqual([published?.version]), 30_000);
      const [held] = await statesAt(tier);
      expect(held).toMatchObject({
        origin: '330106',
        topic: 'access',
        key: 'node',
        version: published?.version,
        computedAt: published?.computedAt,
        data: figures(100),
      });
      // The proof: the county's signed text, verifying with the county's key and saying what the API says.
      expect(held.signature).toEqual(atCounty[0].signature);
      expect(verifyEnvelope(held.signature, publicKeyFromBase64url(await countyPublicKey()))).toBe(true);
      expect(verifyEnvelope(held.signature, publicKeyFromBase64url(generateSigningKey().publicKey))).toBe(false);
      expect(JSON.parse(held.signature.payload)).toMatchObject({ kind: 'supervision.state', origin: '330106', body: published });
    }
    first = atCounty[0];
  });

  it('replaces the state with a newer version at every tier; unchanged figures are not published again', async () => {
    const states = county.app.get(SupervisionStates);
    expect(await states.publishNow('access', 'node', figures(100))).toEqual({ kind: 'unchanged', version: first.version });
    const newer = await states.publishNow('access', 'node', figures(250));
    expect(newer.kind).toBe('published');
    const version = newer.kind === 'published' ? newer.state.version : 0;
    expect(version).toBeGreaterThan(first.version);
    for (const tier of [city, province]) {
      await eventually(async () => {
        const [held] = await statesAt(tier);
        expect(held).toMatchObject({ version, data: figures(250) });
      }, 30_000);
    }
  });

  it('skips an older version replayed straight on NATS: nothing changes', async () => {
    const before = await childStatus(city.url, '330106');
    const [current] = await statesAt(city);
    await injector.publish('330100', '330106', wire(first.signature));
    await eventually(async () => {
      expect(await childStatus(city.url, '330106')).toMatchObject({ skipped: before.skipped + 1, rejected: before.rejected, pending: 0 });
    }, 30_000);
    expect(await statesAt(city)).toEqual([current]);
    expect((await statesAt(province)).map((s) => [s.version, s.data])).toEqual([[current.version, current.data]]);
  });

  it('refuses crafted records into rejected_message and stores none of them', async () => {
    const before = await childStatus(city.url, '330106');
    const state = (key: string, overrides: Partial<SupervisionState> = {}): SupervisionState =>
      ({
        origin: '330106',
        topic: 'access',
        key,
        version: Date.now(),
        computedAt: new Date().toISOString(),
        data: figures(7),
        ...overrides,
      }) as SupervisionState;
    const crafted: Record<string, { envelope: Envelope; reason: RegExp }> = {
      'crafted-bad-signature': { envelope: sealState(state('crafted-bad-signature'), generateSigningKey()), reason: /signature does not verify/ },
      'crafted-bad-data': {
        envelope: sealState(state('crafted-bad-data', { data: { ...figures(7), refused: -1 } as AccessStateData }), countyKey),
        reason: /body\.data\.refused/,
      },
      'crafted-foreign-origin': {
        envelope: sealState(state('crafted-foreign-origin', { origin: '330212' }), countyKey),
        reason: /origin 330212 lies outside the subtree of sender 330106/,
      },
      'crafted-body-origin': {
        envelope: sealState(state('crafted-body-origin', { origin: '330108' }), countyKey, '330106'),
        reason: /body origin 330108 differs from record origin 330106/,
      },
    };
    for (const { envelope } of Object.values(crafted)) await injector.publish('330100', '330106', wire(envelope));
    await eventually(async () => {
      expect(await childStatus(city.url, '330106')).toMatchObject({ applied: before.applied, rejected: before.rejected + 4, pending: 0 });
    }, 30_000);
    for (const [key, { reason }] of Object.entries(crafted)) {
      const rows = await databases.city.query<{ sender: string; reason: string }>(`SELECT sender, reason FROM rejected_message WHERE payload_excerpt LIKE $1`, [
        `%${key}%`,
      ]);
      expect(rows).toEqual([{ sender: '330106', reason: expect.stringMatching(reason) }]);
    }
    for (const db of [databases.city, databases.province]) {
      expect(await db.query(`SELECT key FROM supervision_state WHERE key LIKE 'crafted-%'`)).toEqual([]);
    }
    // Refused at the city, never forwarded: the province had nothing to refuse.
    expect(await databases.province.query(`SELECT id FROM rejected_message`)).toEqual([]);
  });

  it("pages by (origin, key) and reads only within this node's jurisdiction (400 or 422 otherwise)", async () => {
    const states = county.app.get(SupervisionStates);
    await states.publishNow('access', 'institution:6f1c2a4e-9d3b-4c1a-8e2f-0a1b2c3d4e5f', figures(1));
    await states.publishNow('access', 'institution:7f1c2a4e-9d3b-4c1a-8e2f-0a1b2c3d4e5f', figures(2));
    await eventually(async () => expect(await statesAt(province)).toHaveLength(3), 30_000);
    const keys: string[] = [];
    let after: string | null = '';
    while (after !== null) {
      const page: { status: number; body: { items: SupervisionStateView[]; nextCursor: string | null } } = await api(
        province.url,
        'GET',
        `/api/v1/supervision/states?topic=access&limit=2${after ? `&after=${encodeURIComponent(after)}` : ''}`,
      );
      expect(page.status).toBe(200);
      keys.push(...page.body.items.map((i) => `${i.origin}/${i.key}`));
      after = page.body.nextCursor;
    }
    expect(keys).toEqual(['330106/institution:6f1c2a4e-9d3b-4c1a-8e2f-0a1b2c3d4e5f', '330106/institution:7f1c2a4e-9d3b-4c1a-8e2f-0a1b2c3d4e5f', '330106/node']);
    expect((await statesAt(province, 'topic=access&key=institution:')).map((s) => s.key)).toHaveLength(2);
    expect(await statesAt(province, 'topic=access&within=330200')).toEqual([]);
    expect(await statesAt(province, 'topic=quality')).toEqual([]);

    const outside = await api(city.url, 'GET', '/api/v1/supervision/states?topic=access&within=330212');
    expect(outside.status).toBe(422);
    expect(outside.body).toMatchObject({ rule: 'supervision-within-jurisdiction', article: 'Article 7' });
    expect((await api(city.url, 'GET', '/api/v1/supervision/states?topic=access&within=330000')).status).toBe(422);
    for (const bad of ['topic=access&within=3301', 'topic=access&within=003301', 'topic=weather', 'topic=access&after=nonsense', 'topic=access&colour=red']) {
      const answer = await api(city.url, 'GET', `/api/v1/supervision/states?${bad}`);
      expect([bad, answer.status]).toEqual([bad, 400]);
    }
  });
});
