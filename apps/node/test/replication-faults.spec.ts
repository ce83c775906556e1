import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { EntryState, generateSigningKey, SigningKey, signingKeyFromPem } from '@tdx/contracts';
import { api, createTestDatabase, eventually, NodeProcess, TestDatabase, testNamespace, TestNatsServer } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { ChildStatusBody, childStatus, digestFor, LinkInjector, sealedEntry, versionsIn, wire } from './support/replication';

/**
 * Keeps changing a county's catalog: registers entries, gives them new versions, retires some,
 * one request at a time, until stopped. The county's own database is the truth to compare with.
 */
class CountyWriter {
  ops = 0;
  readonly failures: string[] = [];
  private readonly live: string[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly providerId: string,
    private readonly label: string,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Waits until `more` further changes have been committed at the county. */
  async advance(more: number, timeoutMs = 30_000): Promise<void> {
    const target = this.ops + more;
    await eventually(() => expect(this.ops).toBeGreaterThanOrEqual(target), timeoutMs, 20);
  }

  private async run(): Promise<void> {
    let i = 0;
    while (this.running) {
      i++;
      let response: { status: number; body: { id?: string } };
      if (this.live.length < 5 || i % 3 === 0) {
        response = await api(this.url, 'POST', '/api/v1/catalog/entries', sampleEntry(this.providerId, { name: `${this.label} ${i}` }));
        if (response.status === 201 && response.body.id) this.live.push(response.body.id);
      } else if (i % 10 === 1) {
        response = await api(this.url, 'DELETE', `/api/v1/catalog/entries/${this.live.shift()}`);
      } else {
        response = await api(this.url, 'PATCH', `/api/v1/catalog/entries/${this.live[i % this.live.length]}`, { summary: `${this.label} revision ${i}` });
      }
      if (response.status >= 300) this.failures.push(`${response.status} ${JSON.stringify(response.body)}`);
      else this.ops++;
    }
  }
}

/**
 * Faults on a province <- city <- county chain on a nats-server of the test's own: the city
 * process killed with SIGKILL, the NATS server killed and restarted, records replayed, reordered
 * and forged by hand on the county's link.
 */
describe('replication under faults', () => {
  const namespace = testNamespace();
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-fault-keys-'));
  const countyKeyFile = join(keyDir, 'node-330106.pem');
  const databases = {} as Record<'province' | 'city' | 'county', TestDatabase>;
  let nats: TestNatsServer;
  let province: RunningNode;
  let city: NodeProcess;
  let county: RunningNode;
  let countyKey: SigningKey;
  let injector: LinkInjector;
  let providerId: string;
  let writer: CountyWriter | undefined;
  /** The county's institutions so far: each is one record on the link, as is each entry version. */
  let countyInstitutions = 0;

  beforeAll(async () => {
    nats = await TestNatsServer.start();
    for (const tier of ['province', 'city', 'county'] as const) databases[tier] = await createTestDatabase(`fault_${tier}`);
    const spec = { natsUrl: nats.url, natsNamespace: namespace };
    province = await startInProcessNode({ ...spec, code: '330000', databaseUrl: databases.province.url });
    city = await NodeProcess.start({ ...spec, code: '330100', parentCode: '330000', databaseUrl: databases.city.url });
    county = await startInProcessNode({ ...spec, code: '330106', parentCode: '330100', databaseUrl: databases.county.url, keyFile: countyKeyFile });
    countyKey = signingKeyFromPem(readFileSync(countyKeyFile, 'utf8'));
    injector = await LinkInjector.connect(nats.url, namespace);
    const institution = await api(county.url, 'POST', '/api/v1/institutions', sampleInstitution('Xihu Water Supply'));
    providerId = institution.body.id;
    countyInstitutions++;
    await eventually(async () => expect((await api(province.url, 'GET', '/api/v1/institutions?origin=330106')).body.items).toHaveLength(1));
    // The county's join, forwarded by the city, is applied at the province before any test counts records.
    await eventually(async () => expect(await databases.province.query(`SELECT code FROM known_node WHERE code = '330106'`)).toHaveLength(1));
  }, 60_000);

  afterAll(async () => {
    await writer?.stop();
    await injector?.close().catch(() => undefined);
    for (const node of [county, city, province]) await node?.stop().catch(() => undefined);
    await city?.kill();
    await nats?.stop();
    for (const db of Object.values(databases)) await db.drop().catch(() => undefined);
    rmSync(keyDir, { recursive: true, force: true });
  });

  /** Waits until the province and the city hold exactly the county's entries, each at the county's version. */
  async function expectConverged(timeoutMs = 60_000): Promise<Map<string, number>> {
    const truth = await versionsIn(databases.county, '330106');
    await eventually(
      async () => {
        const atCounty = await digestFor(county.url, '330106');
        expect(await digestFor(city.url, '330106')).toEqual(atCounty);
        expect(await digestFor(province.url, '330106')).toEqual(atCounty);
      },
      timeoutMs,
      250,
    );
    for (const tier of ['city', 'province'] as const) {
      const [{ rows, ids }] = await databases[tier].query<{ rows: string; ids: string }>(
        `SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM catalog_entry WHERE origin = '330106'`,
      );
      expect({ tier, rows: Number(rows), ids: Number(ids) }).toEqual({ tier, rows: truth.size, ids: truth.size });
      expect(await versionsIn(databases[tier], '330106')).toEqual(truth);
    }
    return truth;
  }

  /** Records the county has originated: one per institution and one per entry version. */
  function recordsOriginated(truth: Map<string, number>): number {
    return countyInstitutions + [...truth.values()].reduce((sum, version) => sum + version, 0);
  }

  interface LinkCounts {
    city: ChildStatusBody;
    province: ChildStatusBody;
    /** Records the county had originated. */
    records: number;
  }

  /** Where a test counts from: everything converged and both links drained, so that no test depends on what earlier ones did. */
  async function baseline(): Promise<LinkCounts> {
    await expectConverged();
    const links = await eventually(
      async () => {
        const atCity = await childStatus(city.url, '330106');
        const atProvince = await childStatus(province.url, '330100');
        expect([atCity.pending, atProvince.pending]).toEqual([0, 0]);
        return { city: atCity, province: atProvince };
      },
      60_000,
      250,
    );
    return { ...links, records: recordsOriginated(await versionsIn(databases.county, '330106')) };
  }

  /** A link's counters since `before`. */
  function since(now: ChildStatusBody, before: ChildStatusBody): { applied: number; skipped: number; rejected: number } {
    return { applied: now.applied - before.applied, skipped: now.skipped - before.skipped, rejected: now.rejected - before.rejected };
  }

  /**
   * Once the links are drained, every record the county published since `before` is accounted
   * for: applied at most once, and applied or skipped (a duplicate, or an older version overtaken
   * by a newer one, which state transfer makes harmless) at least once. Nothing was rejected.
   */
  async function expectLinksAccountFor(before: LinkCounts, records: number) {
    return eventually(
      async () => {
        const atCity = await childStatus(city.url, '330106');
        const atProvince = await childStatus(province.url, '330100');
        expect([atCity.pending, atProvince.pending]).toEqual([0, 0]);
        const cityLink = since(atCity, before.city);
        const provinceLink = since(atProvince, before.province);
        expect([cityLink.rejected, provinceLink.rejected]).toEqual([0, 0]);
        expect(cityLink.applied).toBeLessThanOrEqual(records);
        expect(cityLink.applied + cityLink.skipped).toBeGreaterThanOrEqual(records);
        // At the province: what the city applied and forwarded.
        expect(provinceLink.applied).toBeLessThanOrEqual(cityLink.applied);
        expect(provinceLink.applied + provinceLink.skipped).toBeGreaterThanOrEqual(cityLink.applied);
        return { city: cityLink, province: provinceLink };
      },
      60_000,
      500,
    );
  }

  it('delivers every change exactly once when the city is killed with SIGKILL while the county keeps writing', async () => {
    const before = await baseline();
    writer = new CountyWriter(county.url, providerId, 'Crash');
    writer.start();
    await writer.advance(30);
    await city.kill('SIGKILL');
    // The county goes on committing, and its records wait in the city's stream for the dead city.
    await writer.advance(100);
    await eventually(async () => expect(await injector.pending('330100', '330106')).toBeGreaterThan(0));
    await city.restart();
    await writer.advance(50);
    await writer.stop();
    // The county never noticed: every one of its writes succeeded.
    expect(writer.failures).toEqual([]);
    writer = undefined;

    // Records the dead city had received but not acknowledged come back after the consumer's
    // ack_wait (10 s), hence the long bound here.

    const truth = await expectConverged();
    expect(truth.size).toBeGreaterThan(40);
    const links = await expectLinksAccountFor(before, recordsOriginated(truth) - before.records);
    // The city forwarded each record it applied exactly once (a re-publish after the crash is
    // deduplicated by its message id), so the province saw each exactly once: it applied it, or
    // skipped it as an older version of an entry whose newer version came in the same batch.
    expect(links.province.applied + links.province.skipped).toBe(links.city.applied);
  });

  it('loses nothing when the nats-server is killed and restarted from its store while the county writes', async () => {
    const before = await baseline();
    writer = new CountyWriter(county.url, providerId, 'Outage');
    writer.start();
    await writer.advance(30);
    await nats.kill();
    await writer.advance(60);
    // With NATS down the county's changes queue in its outbox.
    await eventually(async () => {
      const status = await api(county.url, 'GET', '/api/v1/federation/status');
      expect(status.body.parent.outboxBacklog).toBeGreaterThan(0);
    });
    await nats.restart();
    await writer.advance(60);
    await writer.stop();
    expect(writer.failures).toEqual([]);
    writer = undefined;

    await expectConverged(90_000);
    await expectLinksAccountFor(before, recordsOriginated(await versionsIn(databases.county, '330106')) - before.records);
    for (const node of [county, city, province]) expect((await api(node.url, 'GET', '/health')).status).toBe(200);
  });

  /**
   * A new entry of the county's own, as a template for crafted records: made by the test that uses
   * it, and waited for until the city and the province hold it.
   */
  async function countyEntry(): Promise<EntryState> {
    const created = await api(county.url, 'POST', '/api/v1/catalog/entries', sampleEntry(providerId, { name: `Template ${randomUUID().slice(0, 8)}` }));
    expect(created.status).toBe(201);
    const entry = (await api(county.url, 'GET', `/api/v1/catalog/entries/${created.body.id}`)).body as EntryState;
    await eventually(async () => {
      for (const node of [city, province]) expect((await api(node.url, 'GET', `/api/v1/catalog/entries/${entry.id}`)).body).toEqual(entry);
    });
    return entry;
  }

  it('applies a record delivered twice once, and never lets an older version overwrite a newer one', async () => {
    const template = await countyEntry();
    const cityBefore = await childStatus(city.url, '330106');
    const provinceBefore = await childStatus(province.url, '330100');

    // A redelivery of a change the city already holds: skipped, nothing changes.
    await injector.publish('330100', '330106', wire(sealedEntry(template, countyKey)));
    // A new entry whose first version arrives twice (same bytes, no msgID, so the broker keeps both).
    const id = randomUUID();
    const v1: EntryState = { ...template, id, code: `330106-D-9${id.slice(0, 5)}`, name: 'Replayed entry', version: 1 };
    const v1Bytes = wire(sealedEntry(v1, countyKey));
    await injector.publish('330100', '330106', v1Bytes);
    await injector.publish('330100', '330106', v1Bytes);
    await eventually(async () => {
      expect(await childStatus(city.url, '330106')).toMatchObject({
        applied: cityBefore.applied + 1,
        skipped: cityBefore.skipped + 2,
        rejected: cityBefore.rejected,
        pending: 0,
      });
    });
    expect((await api(city.url, 'GET', `/api/v1/catalog/entries/${template.id}`)).body).toEqual(template);
    const atProvince = await eventually(async () => {
      const found = await api(province.url, 'GET', `/api/v1/catalog/entries/${id}`);
      expect(found.status).toBe(200);
      return found.body;
    });
    expect(atProvince).toEqual(v1);
    // The city forwarded the new entry once and the duplicates not at all.
    await eventually(async () => {
      expect(await childStatus(province.url, '330100')).toMatchObject({ applied: provinceBefore.applied + 1, skipped: provinceBefore.skipped, pending: 0 });
    });

    // Version 2, then version 1 again, late: the older one is skipped at the city.
    const v2: EntryState = { ...v1, name: 'Replayed entry, second version', version: 2, updatedAt: new Date().toISOString() };
    await injector.publish('330100', '330106', wire(sealedEntry(v2, countyKey)));
    await injector.publish('330100', '330106', wire(sealedEntry(v1, countyKey)));
    await eventually(async () => {
      expect(await childStatus(city.url, '330106')).toMatchObject({ applied: cityBefore.applied + 2, skipped: cityBefore.skipped + 3, pending: 0 });
      expect((await api(province.url, 'GET', `/api/v1/catalog/entries/${id}`)).body).toEqual(v2);
    });
    expect((await api(city.url, 'GET', `/api/v1/catalog/entries/${id}`)).body).toEqual(v2);
    for (const tier of ['city', 'province'] as const) {
      expect(await databases[tier].query(`SELECT version FROM catalog_entry WHERE id = $1`, [id])).toEqual([{ version: 2 }]);
    }
  });

  it('rejects forged records, applies none of them, records them, and keeps the link flowing', async () => {
    const template = await countyEntry();
    const cityBefore = await childStatus(city.url, '330106');
    const rejectedBefore = await databases.city.query(`SELECT id FROM rejected_message`);
    const forgedIds: string[] = [];
    const forged = (overrides: Partial<EntryState>): EntryState => {
      const id = randomUUID();
      forgedIds.push(id);
      return { ...template, id, code: `FORGED-${id.slice(0, 8)}`, name: 'Forged entry', version: 1, ...overrides };
    };

    // 1. Payload changed after signing: a newer version of a real entry with another name.
    const sealed = sealedEntry({ ...template, version: template.version + 1 }, countyKey);
    const tampered = { ...sealed, payload: sealed.payload.replace(JSON.stringify(template.name), JSON.stringify('Tampered name')) };
    expect(tampered.payload).not.toBe(sealed.payload);
    await injector.publish('330100', '330106', wire(tampered));
    // 2. The county claiming a Ningbo district's origin, signed with its own (valid) key.
    await injector.publish('330100', '330106', wire(sealedEntry(forged({ origin: '330212', regionScope: '330212' }), countyKey)));
    // 3. The county claiming its parent's origin.
    await injector.publish('330100', '330106', wire(sealedEntry(forged({ origin: '330100', regionScope: '330100' }), countyKey)));
    // 4. Its own origin, signed with a key nobody recorded.
    await injector.publish('330100', '330106', wire(sealedEntry(forged({}), generateSigningKey())));
    // 5. No signature at all.
    await injector.publish('330100', '330106', wire({ ...sealedEntry(forged({}), countyKey), sig: '' }));
    // 6. Not an envelope.
    await injector.publish('330100', '330106', Buffer.from('{"hello":"world"}'));
    // 7. Binary garbage, NUL bytes included (which PostgreSQL text cannot hold as they are).
    await injector.publish('330100', '330106', Buffer.from([0x00, 0xff, 0xfe, 0x00, 0x7b]));

    await eventually(async () => {
      expect(await childStatus(city.url, '330106')).toMatchObject({
        applied: cityBefore.applied,
        skipped: cityBefore.skipped,
        rejected: cityBefore.rejected + 7,
        pending: 0,
      });
    });
    const rows = await databases.city.query<{ sender: string; claimed_origin: string | null; reason: string }>(
      `SELECT sender, claimed_origin, reason FROM rejected_message WHERE id <> ALL($1::bigint[]) ORDER BY id`,
      [rejectedBefore.map((r) => r.id)],
    );
    expect(rows.map((r) => r.sender)).toEqual(Array(7).fill('330106'));
    expect(rows.map((r) => r.claimed_origin)).toEqual(['330106', '330212', '330100', '330106', '330106', null, null]);
    expect(rows[0].reason).toMatch(/signature/);
    expect(rows[1].reason).toMatch(/outside the subtree/);
    expect(rows[2].reason).toMatch(/outside the subtree/);
    expect(rows[3].reason).toMatch(/signature/);
    expect(rows[4].reason).toMatch(/signature/);
    expect(rows[5].reason).toMatch(/envelope|payload/);
    expect(rows[6].reason).toMatch(/not JSON/);

    // Nothing of them anywhere: the real entry is unchanged, the forged ids unknown.
    for (const node of [city, province]) {
      expect((await api(node.url, 'GET', `/api/v1/catalog/entries/${template.id}`)).body).toEqual(template);
      for (const id of forgedIds) expect((await api(node.url, 'GET', `/api/v1/catalog/entries/${id}`)).status).toBe(404);
    }
    expect(await databases.province.query(`SELECT id FROM rejected_message`)).toEqual([]);

    // The link is not stuck: a real change made afterwards arrives at both tiers.
    const next = await api(county.url, 'PATCH', `/api/v1/catalog/entries/${template.id}`, { summary: 'Changed after the forgeries' });
    expect(next.status).toBe(200);
    await eventually(async () => {
      for (const node of [city, province]) expect((await api(node.url, 'GET', `/api/v1/catalog/entries/${template.id}`)).body).toEqual(next.body);
    });
    const status = await childStatus(city.url, '330106');
    expect(status).toMatchObject({ applied: cityBefore.applied + 1, rejected: cityBefore.rejected + 7 });
  });

  it('rejects a signed record the database refuses without holding up the records around it', async () => {
    const template = await countyEntry();
    const cityBefore = await childStatus(city.url, '330106');
    const rejectedBefore = await databases.city.query(`SELECT id FROM rejected_message`);
    // Correctly signed by the county, but not storable: a resource code another of its entries holds (refused by
    // the database), and a share type outside the vocabulary (as a county on a newer or broken release might send;
    // refused by the field checks before the database sees it).
    const duplicateCode: EntryState = { ...template, id: randomUUID(), version: 1, name: 'Same code as another entry' };
    const unknownShareType = { ...template, id: randomUUID(), code: `330106-X-${Date.now()}`, version: 1, shareType: 'bartered' } as unknown as EntryState;
    const good: EntryState = { ...template, id: randomUUID(), code: `330106-G-${Date.now()}`, version: 1, name: 'Sent between the refused ones' };
    await injector.publish('330100', '330106', wire(sealedEntry(duplicateCode, countyKey)));
    await injector.publish('330100', '330106', wire(sealedEntry(good, countyKey)));
    await injector.publish('330100', '330106', wire(sealedEntry(unknownShareType, countyKey)));
    const next = await api(county.url, 'PATCH', `/api/v1/catalog/entries/${template.id}`, { summary: 'Changed after the refused records' });
    expect(next.status).toBe(200);

    await eventually(async () => {
      expect(await childStatus(city.url, '330106')).toMatchObject({ applied: cityBefore.applied + 2, rejected: cityBefore.rejected + 2, pending: 0 });
      for (const node of [city, province]) {
        expect((await api(node.url, 'GET', `/api/v1/catalog/entries/${template.id}`)).body).toEqual(next.body);
        expect((await api(node.url, 'GET', `/api/v1/catalog/entries/${good.id}`)).body).toEqual(good);
      }
    }, 20_000);
    for (const node of [city, province]) {
      for (const refused of [duplicateCode, unknownShareType]) {
        expect((await api(node.url, 'GET', `/api/v1/catalog/entries/${refused.id}`)).status).toBe(404);
      }
    }
    const rows = await databases.city.query<{ reason: string }>(`SELECT reason FROM rejected_message WHERE id <> ALL($1::bigint[]) ORDER BY id`, [
      rejectedBefore.map((r) => r.id),
    ]);
    expect(rows.map((r) => r.reason)).toEqual([
      expect.stringMatching(/catalog_entry_origin_code/),
      expect.stringMatching(/shareType: shareType must be one of/),
    ]);
  });
});
