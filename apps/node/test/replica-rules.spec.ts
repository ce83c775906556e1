import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EntryState, SigningKey, signingKeyFromPem } from '@tdx/contracts';
import { anonymous, api, createTestDatabase, deleteNamespaceStreams, eventually, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { childStatus, LinkInjector, sealedEntry, wire } from './support/replication';

/**
 * A county whose signing key is in an attacker's hands sends entry versions its own API would have
 * refused, crafted with the project's envelope code and published straight on the city's inbound
 * subject. The city re-applies the catalog rules: nothing of them is applied, forwarded to the
 * province or opened to the public, and each is on record with its rule.
 */
describe('catalog rules re-applied to replicas', () => {
  const namespace = testNamespace();
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-replica-rules-'));
  const countyKeyFile = join(keyDir, 'node-330106.pem');
  const databases = {} as Record<'province' | 'city' | 'county', TestDatabase>;
  let province: RunningNode;
  let city: RunningNode;
  let county: RunningNode;
  let countyKey: SigningKey;
  let injector: LinkInjector;
  let template: EntryState;

  beforeAll(async () => {
    for (const tier of ['province', 'city', 'county'] as const) databases[tier] = await createTestDatabase(`rules_${tier}`);
    const spec = { natsUrl: SHARED_NATS_URL, natsNamespace: namespace };
    province = await startInProcessNode({ ...spec, code: '330000', databaseUrl: databases.province.url });
    city = await startInProcessNode({ ...spec, code: '330100', parentCode: '330000', databaseUrl: databases.city.url });
    county = await startInProcessNode({ ...spec, code: '330106', parentCode: '330100', databaseUrl: databases.county.url, keyFile: countyKeyFile });
    countyKey = signingKeyFromPem(readFileSync(countyKeyFile, 'utf8'));
    injector = await LinkInjector.connect(SHARED_NATS_URL, namespace);
    const institution = await api(county.url, 'POST', '/api/v1/institutions', sampleInstitution('Xihu Water Supply'));
    expect(institution.status).toBe(201);
    const created = await api(county.url, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id, { name: 'Water meters' }));
    expect(created.status).toBe(201);
    template = created.body;
    await eventually(async () => expect((await api(province.url, 'GET', `/api/v1/catalog/entries/${template.id}`)).status).toBe(200), 30_000);
  }, 90_000);

  afterAll(async () => {
    await injector?.close().catch(() => undefined);
    for (const node of [county, city, province]) await node?.stop().catch(() => undefined);
    for (const db of Object.values(databases)) await db.drop().catch(() => undefined);
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    rmSync(keyDir, { recursive: true, force: true });
  });

  const crafted = (overrides: Record<string, unknown>): EntryState =>
    ({ ...template, id: randomUUID(), code: `330106-X-${randomBytes(4).toString('hex')}`, name: 'Crafted', version: 1, ...overrides }) as EntryState;

  async function openCatalogIds(node: RunningNode): Promise<string[]> {
    const listed = await anonymous(node.url, 'GET', '/api/v1/open/catalog?limit=500');
    expect(listed.status).toBe(200);
    return listed.body.items.map((e: { id: string }) => e.id);
  }

  it('rejects signed versions that break the rules at the city, with the rule, and lets the lawful ones through', async () => {
    const before = await childStatus(city.url, '330106');
    const refused = {
      'l4-never-opened': crafted({ grade: 'L4', openType: 'unconditional' }),
      'l2-l3-restricted-opening': crafted({ grade: 'L2', openType: 'unconditional' }),
      'legal-basis-required': crafted({ shareType: 'none', legalBasis: null }),
      'share-condition-required': crafted({ shareType: 'conditional', shareCondition: null }),
      'state-secret': crafted({ stateSecret: true }),
      'provider-not-local': crafted({ providerId: randomUUID() }),
    };
    const prohibited = crafted({ name: 'Lawful, never opened', grade: 'L4', openType: 'prohibited', shareType: 'none', legalBasis: 'Law X art. 5' });
    const open = crafted({ name: 'Lawful and open' });
    for (const body of [...Object.values(refused), prohibited, open]) {
      await injector.publish('330100', '330106', wire(sealedEntry(body, countyKey)));
    }

    // The unknown provider is waited for (bounded redeliveries) before it is refused.
    await eventually(
      async () => {
        expect(await childStatus(city.url, '330106')).toMatchObject({ applied: before.applied + 2, rejected: before.rejected + 6, pending: 0 });
      },
      90_000,
      500,
    );
    for (const [rule, body] of Object.entries(refused)) {
      const rows = await databases.city.query<{ sender: string; claimed_origin: string; rule: string; article: string; reason: string }>(
        `SELECT sender, claimed_origin, rule, article, reason FROM rejected_message WHERE payload_excerpt LIKE $1`,
        [`%${body.id}%`],
      );
      expect(rows).toEqual([
        { sender: '330106', claimed_origin: '330106', rule, article: expect.stringMatching(/Article/), reason: expect.stringContaining(rule) },
      ]);
    }

    await eventually(async () => {
      expect((await api(province.url, 'GET', `/api/v1/catalog/entries/${open.id}`)).body).toEqual(open);
      expect((await api(province.url, 'GET', `/api/v1/catalog/entries/${prohibited.id}`)).body).toEqual(prohibited);
    }, 30_000);
    for (const node of [city, province]) {
      for (const body of Object.values(refused)) expect((await api(node.url, 'GET', `/api/v1/catalog/entries/${body.id}`)).status).toBe(404);
      const listed = await openCatalogIds(node);
      expect(listed).toContain(open.id);
      expect(listed).not.toContain(prohibited.id);
      for (const body of Object.values(refused)) expect(listed).not.toContain(body.id);
    }
    // Refused at the city, so never forwarded: the province had nothing to refuse.
    expect(await databases.province.query(`SELECT id FROM rejected_message`)).toEqual([]);
  });

  it('never opens L4, prohibited, or unconditional L2/L3 entries to the public, whatever a stored row says', async () => {
    const smuggled = [
      crafted({ grade: 'L4', openType: 'unconditional' }),
      crafted({ grade: 'L3', openType: 'unconditional' }),
      crafted({ grade: 'L4', openType: 'restricted' }),
      crafted({ grade: 'L2', openType: 'unconditional' }),
      crafted({ openType: 'prohibited' }),
    ];
    // As if a row got in by some other way than the rules (an old release, a hand edit): straight into the table.
    for (const e of smuggled) {
      await databases.province.query(
        `INSERT INTO catalog_entry (id, origin, code, type, name, summary, provider_id, category, grade, share_type, open_type,
           update_cycle, region_scope, status, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'active', 1, now(), now())`,
        [e.id, e.origin, e.code, e.type, e.name, e.summary, e.providerId, e.category, e.grade, e.shareType, e.openType, e.updateCycle, e.regionScope],
      );
    }
    const listed = await openCatalogIds(province);
    expect(listed).toContain(template.id);
    for (const e of smuggled) expect(listed).not.toContain(e.id);
  });

  it('keeps one row with an excerpt and a hash for a 900 KB junk message, and counts its repeats', async () => {
    const before = await childStatus(city.url, '330106');
    const junk = Buffer.concat([Buffer.from('{"junk":"'), Buffer.alloc(900 * 1024, 'j'), Buffer.from('"}')]);
    for (let i = 0; i < 100; i++) await injector.publish('330100', '330106', junk);
    // Every delivery is refused once: 100, or more if a slow batch outlived the ack wait and some came again.
    let rejected = 0;
    await eventually(
      async () => {
        const status = await childStatus(city.url, '330106');
        expect(status.pending).toBe(0);
        expect(status.rejected).toBeGreaterThanOrEqual(before.rejected + 100);
        rejected = status.rejected - before.rejected;
      },
      60_000,
      500,
    );
    const rows = await databases.city.query<{ payload_excerpt: string; payload_bytes: number; repeat_count: number }>(
      `SELECT payload_excerpt, payload_bytes, repeat_count FROM rejected_message WHERE payload_sha256 = $1`,
      [createHash('sha256').update(junk).digest('hex')],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ payload_bytes: junk.length, repeat_count: rejected });
    expect(rows[0].payload_excerpt).toHaveLength(2048);
    expect(rows[0].payload_excerpt.startsWith('{"junk":"jjj')).toBe(true);
  });
});
