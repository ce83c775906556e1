import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, createTestDatabase, eventually, NodeProcess, NodeSpec, TestDatabase, testNamespace, TestNatsServer } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';
import { ChildStatusBody, childStatus, digestFor, versionsIn } from './support/replication';
import { CatalogWriter } from './support/catalog-writer';

/** Short leases, so that a hand-over after a SIGKILL takes seconds in the test. */
const LEASE_SECONDS = '2';

interface LeaseRow {
  name: string;
  holder: string;
  generation: string;
}

/** The pid in a lease holder (`host:pid:random`). */
function pidOf(holder: string): number {
  return Number(holder.split(':').at(-2));
}

/**
 * A city run as two replicas (two processes of the built node) against one database, between a
 * county registering entries and the province: one replica is killed with SIGKILL while both
 * write, and the other takes its background work over.
 */
describe('two replicas of one node', () => {
  const namespace = testNamespace();
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-ha-keys-'));
  const databases = {} as Record<'province' | 'city' | 'county', TestDatabase>;
  let nats: TestNatsServer;
  let province: RunningNode;
  let county: RunningNode;
  const replicas: NodeProcess[] = [];
  const writers: CatalogWriter[] = [];

  beforeAll(async () => {
    nats = await TestNatsServer.start();
    for (const tier of ['province', 'city', 'county'] as const) databases[tier] = await createTestDatabase(`ha15_${tier}`);
    const spec = { natsUrl: nats.url, natsNamespace: namespace, env: { WORKER_LEASE_SECONDS: LEASE_SECONDS } };
    province = await startInProcessNode({ ...spec, code: '330000', databaseUrl: databases.province.url });
    // Both replicas share the database and the key file, as they would share a volume or a secret.
    const city: NodeSpec = { ...spec, code: '330100', parentCode: '330000', databaseUrl: databases.city.url, keyFile: join(keyDir, 'node-330100.pem') };
    // Their output goes to files, named in a failure's message.
    for (const i of [1, 2]) replicas.push(await NodeProcess.start(city, { logFile: join(keyDir, `city-replica-${i}.log`) }));
    county = await startInProcessNode({ ...spec, code: '330106', parentCode: '330100', databaseUrl: databases.county.url });
  }, 90_000);

  afterAll(async () => {
    for (const writer of writers) await writer.stop();
    await county?.stop().catch(() => undefined);
    for (const replica of replicas) await replica.stop().catch(() => undefined);
    await province?.stop().catch(() => undefined);
    await nats?.stop();
    for (const db of Object.values(databases)) await db?.drop().catch(() => undefined);
    if (!process.env.TDX_KEEP_LOGS) rmSync(keyDir, { recursive: true, force: true });
  });

  async function leases(): Promise<Map<string, LeaseRow>> {
    const rows = await databases.city.query<LeaseRow>(`SELECT name, holder, generation FROM worker_lease`);
    return new Map(rows.map((r) => [r.name, r]));
  }

  /** Waits until `tier` holds exactly the entries of `origin` that the origin's own database holds, each at its version. */
  async function expectHolds(tier: 'city' | 'province', url: string, origin: 'county' | 'city', originUrl: string): Promise<Map<string, number>> {
    const code = origin === 'county' ? '330106' : '330100';
    const truth = await versionsIn(databases[origin], code);
    // Records the dead replica had pulled come back after the consumer's ack wait: a generous bound on a busy machine.
    await eventually(
      async () => expect({ tier, digest: await digestFor(url, code) }).toEqual({ tier, digest: await digestFor(originUrl, code) }),
      180_000,
      500,
    );
    const [{ rows, ids }] = await databases[tier].query<{ rows: string; ids: string }>(
      `SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM catalog_entry WHERE origin = $1`,
      [code],
    );
    expect({ rows: Number(rows), ids: Number(ids) }).toEqual({ rows: truth.size, ids: truth.size });
    expect(await versionsIn(databases[tier], code)).toEqual(truth);
    return truth;
  }

  /** Records an origin has published: one per institution and one per entry version. */
  async function recordsOf(origin: 'county' | 'city'): Promise<number> {
    const code = origin === 'county' ? '330106' : '330100';
    const [{ institutions }] = await databases[origin].query<{ institutions: string }>(
      `SELECT coalesce(sum(version), 0) AS institutions FROM institution WHERE origin = $1`,
      [code],
    );
    const versions = [...(await versionsIn(databases[origin], code)).values()].reduce((sum, v) => sum + v, 0);
    return Number(institutions) + versions;
  }

  async function drainedLinks(cityUrl: string): Promise<{ city: ChildStatusBody; province: ChildStatusBody }> {
    return eventually(
      async () => {
        const atCity = await childStatus(cityUrl, '330106');
        const atProvince = await childStatus(province.url, '330100');
        expect([atCity.pending, atProvince.pending]).toEqual([0, 0]);
        const [outbox] = await databases.city.query<{ n: string }>(`SELECT count(*) AS n FROM outbox`);
        expect(Number(outbox.n)).toBe(0);
        return { city: atCity, province: atProvince };
      },
      90_000,
      250,
    );
  }

  /** What the links and queues held, printed when the test fails: where a record stopped. */
  async function diagnosis(): Promise<string> {
    const parts = [
      ['city outbox', await databases.city.query(`SELECT count(*) AS n, min(seq) AS first FROM outbox`)],
      ['city parent_link', await databases.city.query(`SELECT last_published_seq, published_count, last_error FROM parent_link`)],
      ['city child_link', await databases.city.query(`SELECT child_code, applied_count, skipped_count, rejected_count, last_error FROM child_link`)],
      ['city leases', await databases.city.query(`SELECT name, holder, generation, expires_at > now() AS live FROM worker_lease`)],
      ['province child_link', await databases.province.query(`SELECT child_code, applied_count, skipped_count, rejected_count, last_error FROM child_link`)],
      ['province rejected', await databases.province.query(`SELECT reason FROM rejected_message LIMIT 5`)],
      ['county outbox', await databases.county.query(`SELECT count(*) AS n FROM outbox`)],
    ];
    return parts.map(([label, rows]) => `${label}: ${JSON.stringify(rows)}`).join('\n');
  }

  it('loses and doubles nothing when the replica doing the work is killed with SIGKILL under load; the other takes it over', async () => {
    try {
      await killOneUnderLoad();
    } catch (error) {
      console.log(`${(error as Error).message.slice(0, 2000)}\n${await diagnosis()}`);
      throw error;
    }
  }, 400_000);

  async function killOneUnderLoad(): Promise<void> {
    const [countyInstitution, cityInstitution] = await Promise.all([
      api(county.url, 'POST', '/api/v1/institutions', sampleInstitution('Xihu Water Supply')),
      api(replicas[0].url, 'POST', '/api/v1/institutions', sampleInstitution('Hangzhou Transport')),
    ]);
    expect([countyInstitution.status, cityInstitution.status]).toEqual([201, 201]);
    // The county's join and institution have gone through the city: both links are running.
    await eventually(async () => expect(await databases.province.query(`SELECT id FROM institution WHERE origin = '330106'`)).toHaveLength(1), 60_000);
    const before = await drainedLinks(replicas[0].url);
    const recordsBefore = { county: await recordsOf('county'), city: await recordsOf('city') };

    // Which replica applies the county's records: the one to kill.
    const heldBefore = await eventually(async () => {
      const held = await leases();
      expect(held.get('child-link:330106')).toBeDefined();
      expect(held.get('outbox-relay')).toBeDefined();
      return held;
    });
    const linkLease = heldBefore.get('child-link:330106') as LeaseRow;
    const victim = replicas.find((r) => r.pid === pidOf(linkLease.holder)) as NodeProcess;
    const survivor = replicas.find((r) => r !== victim) as NodeProcess;
    expect(victim).toBeDefined();

    const countyWriter = new CatalogWriter([county.url], countyInstitution.body.id, 'County');
    // The city's own changes come in through both replicas, as behind a load balancer.
    const cityWriter = new CatalogWriter(
      replicas.map((r) => r.url),
      cityInstitution.body.id,
      'City',
    );
    writers.push(countyWriter, cityWriter);
    countyWriter.start();
    cityWriter.start();
    await Promise.all([countyWriter.advance(60), cityWriter.advance(40)]);
    await victim.kill('SIGKILL');
    // Writes go on: the county's never stop, the city's go to the survivor.
    await Promise.all([countyWriter.advance(100), cityWriter.advance(60)]);
    await Promise.all([countyWriter.stop(), cityWriter.stop()]);
    expect([...countyWriter.failures, ...cityWriter.failures]).toEqual([]);

    // The survivor holds every lease the dead replica held, each under a later generation.
    const heldAfter = await eventually(async () => {
      const held = await leases();
      for (const name of ['child-link:330106', 'outbox-relay', 'channel-relay', 'return-scheduler']) {
        expect({ name, pid: pidOf(held.get(name)?.holder ?? '::') }).toEqual({ name, pid: survivor.pid });
      }
      return held;
    }, 60_000);
    expect(Number(heldAfter.get('child-link:330106')?.generation)).toBeGreaterThan(Number(linkLease.generation));
    // Every entry, at its last version, exactly once, at the city and at the province; digests agree.
    const countyEntries = await expectHolds('city', survivor.url, 'county', county.url);
    await expectHolds('province', province.url, 'county', county.url);
    const cityEntries = await expectHolds('province', province.url, 'city', survivor.url);
    expect(countyEntries.size).toBeGreaterThan(50);
    expect(cityEntries.size).toBeGreaterThan(30);

    // Each record was applied at most once: a batch the dead replica committed and never acknowledged
    // came back to the survivor, which skipped it as already applied. None was refused.
    const after = await drainedLinks(survivor.url);
    const countyRecords = (await recordsOf('county')) - recordsBefore.county;
    const cityRecords = (await recordsOf('city')) - recordsBefore.city;
    const cityLink = { applied: after.city.applied - before.city.applied, skipped: after.city.skipped - before.city.skipped };
    const provinceLink = { applied: after.province.applied - before.province.applied, skipped: after.province.skipped - before.province.skipped };
    expect([after.city.rejected - before.city.rejected, after.province.rejected - before.province.rejected]).toEqual([0, 0]);
    expect(cityLink.applied).toBeLessThanOrEqual(countyRecords);
    expect(cityLink.applied + cityLink.skipped).toBeGreaterThanOrEqual(countyRecords);
    // The province received what the city forwarded and what it originated, each once: a batch the
    // dead replica published and never deleted from the outbox was published again under the same
    // message ids, which the province's stream dropped as duplicates.
    expect(provinceLink.applied + provinceLink.skipped).toBe(cityLink.applied + cityRecords);
  }
});
