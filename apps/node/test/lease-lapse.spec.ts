import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, createTestDatabase, eventually, NodeProcess, NodeSpec, TestDatabase, testNamespace, TestNatsServer } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';
import { childStatus, digestFor, versionsIn } from './support/replication';
import { CatalogWriter } from './support/catalog-writer';

/** Short leases: a pause of a few seconds outlasts a term. */
const LEASE_SECONDS = 2;
/** Longer than a term (0.9 of the lease after the last renewal was asked for), with room to spare. */
const PAUSE_MS = LEASE_SECONDS * 2_000;

/**
 * A city process paused (SIGSTOP) for longer than its lease term while its county keeps writing,
 * then resumed (SIGCONT). This is the production condition of a lapsed term: a process that did
 * not run for a while (paused, swapped out, its event loop blocked under load) and renews late.
 *
 * Why a whole-process pause reproduces it: on resume, the renewal's timer fires first, but the
 * renewal needs a round trip to PostgreSQL, while the records NATS pushed during the pause are
 * already in the socket's buffer. They reach the child-link worker before the renewal's answer,
 * and the worker sees `term.held` false (performance.now() is past the term's end) and leaves its
 * loop. The renewal then succeeds (nobody else took the lease: same holder, same generation), so
 * the term is extended and never ends: whatever the worker left waiting for `term.end()` waits
 * for good. Before 9300dbe the consumer was left open, its records went into a queue nobody read,
 * and the city never received another record of the county.
 */
describe('a lease term that lapses without ending (process paused longer than its lease)', () => {
  const namespace = testNamespace();
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-lapse-keys-'));
  const databases = {} as Record<'province' | 'city' | 'county', TestDatabase>;
  let nats: TestNatsServer;
  let province: RunningNode;
  let county: RunningNode;
  let city: NodeProcess;
  let writer: CatalogWriter | undefined;

  beforeAll(async () => {
    nats = await TestNatsServer.start();
    for (const tier of ['province', 'city', 'county'] as const) databases[tier] = await createTestDatabase(`lapse15_${tier}`);
    const spec = { natsUrl: nats.url, natsNamespace: namespace, env: { WORKER_LEASE_SECONDS: String(LEASE_SECONDS) } };
    province = await startInProcessNode({ ...spec, code: '330000', databaseUrl: databases.province.url });
    // The city is a process of its own, so that it alone can be paused.
    const citySpec: NodeSpec = { ...spec, code: '330100', parentCode: '330000', databaseUrl: databases.city.url, keyFile: join(keyDir, 'node-330100.pem') };
    city = await NodeProcess.start(citySpec, { logFile: join(keyDir, 'city.log') });
    county = await startInProcessNode({ ...spec, code: '330106', parentCode: '330100', databaseUrl: databases.county.url });
  }, 60_000);

  afterAll(async () => {
    await writer?.stop();
    if (city?.pid) process.kill(city.pid, 'SIGCONT');
    await county?.stop().catch(() => undefined);
    await city?.stop().catch(() => undefined);
    await province?.stop().catch(() => undefined);
    await nats?.stop();
    for (const db of Object.values(databases)) await db?.drop().catch(() => undefined);
    if (!process.env.TDX_KEEP_LOGS) rmSync(keyDir, { recursive: true, force: true });
  });

  async function linkLease(): Promise<{ holder: string; generation: string } | undefined> {
    const rows = await databases.city.query<{ holder: string; generation: string }>(
      `SELECT holder, generation FROM worker_lease WHERE name = 'child-link:330106'`,
    );
    return rows[0];
  }

  it('receives every record of the county after the pause, each applied once', async () => {
    const institution = await api(county.url, 'POST', '/api/v1/institutions', sampleInstitution('Xihu Water Supply'));
    expect(institution.status).toBe(201);
    // The link is running: the county's institution has reached the city.
    await eventually(async () => expect(await databases.city.query(`SELECT id FROM institution WHERE origin = '330106'`)).toHaveLength(1), 30_000);
    const before = await childStatus(city.url, '330106');
    const leaseBefore = await linkLease();

    writer = new CatalogWriter([county.url], institution.body.id, 'County');
    writer.start();
    await writer.advance(20);
    process.kill(city.pid as number, 'SIGSTOP');
    try {
      // The county goes on writing while the city does not run: its records wait at NATS and in the city's socket.
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    } finally {
      process.kill(city.pid as number, 'SIGCONT');
    }
    await writer.advance(20);
    await writer.stop();
    expect(writer.failures).toEqual([]);

    const truth = await versionsIn(databases.county, '330106');
    try {
      // Bounded: a healthy link catches up in seconds; the records' ack wait is 10 s.
      await eventually(async () => expect(await digestFor(city.url, '330106')).toEqual(await digestFor(county.url, '330106')), 30_000, 250);
    } catch (error) {
      const links = await databases.city.query(`SELECT applied_count, skipped_count, last_error FROM child_link`);
      const lease = await linkLease();
      throw new Error(
        `${(error as Error).message.slice(0, 1500)}\ncity child_link: ${JSON.stringify(links)}; lease before ${JSON.stringify(leaseBefore)}, after ${JSON.stringify(lease)}`,
      );
    }
    // Each entry once, at its last version.
    const [{ rows, ids }] = await databases.city.query<{ rows: string; ids: string }>(
      `SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM catalog_entry WHERE origin = '330106'`,
    );
    expect({ rows: Number(rows), ids: Number(ids) }).toEqual({ rows: truth.size, ids: truth.size });
    expect(await versionsIn(databases.city, '330106')).toEqual(truth);
    expect(truth.size).toBeGreaterThan(20);
    // No record applied twice: applications are at most the county's records since (one per entry version).
    const versions = [...truth.values()].reduce((sum, v) => sum + v, 0);
    const after = await eventually(async () => {
      const status = await childStatus(city.url, '330106');
      expect(status.pending).toBe(0);
      return status;
    }, 20_000);
    expect(after.rejected - before.rejected).toBe(0);
    expect(after.applied - before.applied).toBeLessThanOrEqual(versions);
    expect(after.applied - before.applied + after.skipped - before.skipped).toBeGreaterThanOrEqual(versions);
  }, 90_000);
});
