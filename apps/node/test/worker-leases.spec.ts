import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { createTestDatabase, eventually, TestDatabase } from '@tdx/testing';
import { databaseOptions } from '../src/database/database.options';
import { WorkerLeaseRepository } from '../src/leases/worker-lease.repository';
import { LeaseLost, LeaseTerm, WorkerLeases } from '../src/leases/worker-leases';
import type { NodeRuntimeConfig } from '../src/config/node-config';

/**
 * Leases on a database migrated as a node's: two "replicas" (two WorkerLeases, each with its own
 * pool, as two processes would have) contend for one task.
 */
describe('worker leases', () => {
  let db: TestDatabase;
  const pools: DataSource[] = [];
  const config = { highAvailability: { workerLeaseSeconds: 2, natsStreamReplicas: 1 } } as NodeRuntimeConfig;
  /** Cleared at the end, so that no loop outlives the pools, whatever an assertion did. */
  let running = true;
  const loops: Promise<void>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('ha15_leases');
    for (let i = 0; i < 2; i++) pools.push(await new DataSource(databaseOptions(db.url)).initialize());
  });

  afterAll(async () => {
    running = false;
    await Promise.all(loops);
    for (const pool of pools) await pool.destroy();
    await db?.drop();
  });

  beforeEach(() => db.query('TRUNCATE worker_lease'));

  function replica(i: number): WorkerLeases {
    return new WorkerLeases(config, pools[i], new WorkerLeaseRepository());
  }

  it('runs a task on one replica at a time, keeps it there while it renews, and hands it over when the holder stops', async () => {
    const [a, b] = [replica(0), replica(1)];
    let inside = 0;
    let overlaps = 0;
    const terms: { holder: string; generation: string }[] = [];
    let aRunning = true;
    let bRunning = true;
    const work = (holder: string, on: () => boolean) => async (term: LeaseTerm) => {
      terms.push({ holder, generation: term.generation });
      inside++;
      if (inside > 1) overlaps++;
      try {
        while (on() && term.held) await new Promise((r) => setTimeout(r, 50));
      } finally {
        inside--;
      }
    };
    const loopA = a.runWhileHeld(
      'task',
      () => running && aRunning,
      work('a', () => running && aRunning),
    );
    loops.push(loopA);
    await eventually(() => expect(terms).toHaveLength(1));
    const loopB = b.runWhileHeld(
      'task',
      () => running && bRunning,
      work('b', () => running && bRunning),
    );
    loops.push(loopB);
    // Three lease periods: A renews all along, B never gets a turn.
    await new Promise((r) => setTimeout(r, 6000));
    expect(terms).toEqual([{ holder: 'a', generation: '1' }]);
    // A stops (and releases): B takes the task over under the next generation.
    aRunning = false;
    await loopA;
    await eventually(() =>
      expect(terms).toEqual([
        { holder: 'a', generation: '1' },
        { holder: 'b', generation: '2' },
      ]),
    );
    bRunning = false;
    await loopB;
    expect(overlaps).toBe(0);
  });

  it('lets another replica take an expired lease, after which the old holder can commit nothing', async () => {
    const repository = new WorkerLeaseRepository();
    const manager = pools[0].manager;
    const first = await repository.acquire(manager, 'task', 'paused-replica', 200);
    expect(first).toBe('1');
    // Still held: nobody else gets it.
    expect(await repository.acquire(pools[1].manager, 'task', 'other', 2000)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300));
    // The holder paused past its expiry (a GC pause, a frozen VM): the other replica takes over.
    expect(await repository.acquire(pools[1].manager, 'task', 'other', 2000)).toBe('2');
    const stale = new LeaseTerm('task', '1', 'paused-replica', repository, performance.now() + 60_000);
    await db.query(`CREATE TABLE IF NOT EXISTS lease_probe (n int)`);
    await expect(
      pools[0].transaction(async (tx) => {
        await stale.fence(tx);
        await tx.query(`INSERT INTO lease_probe VALUES (1)`);
      }),
    ).rejects.toBeInstanceOf(LeaseLost);
    expect(await db.query(`SELECT * FROM lease_probe`)).toEqual([]);
    // Nor can it renew its way back in.
    expect(await repository.renew(manager, 'task', 'paused-replica', '1', 2000)).toBe(false);
    expect(stale.held).toBe(false);
  });

  it('takes at once a lease whose holder was a process of this host that has ended (a kill -9 and restart), and waits out any other', async () => {
    const repository = new WorkerLeaseRepository();
    const manager = pools[0].manager;
    const ended = spawnSync(process.execPath, ['-e', '0']).pid;
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      const holders = {
        dead: `${hostname()}:${ended}:deadbeef`,
        alive: `${hostname()}:${sleeper.pid}:a1b2c3d4`,
        elsewhere: `another-host.example:${ended}:0badf00d`,
      };
      const me = replica(1);
      for (const [task, holder] of Object.entries(holders)) {
        // Held for a minute yet: only a dead holder of this host gives it up before then.
        expect(await repository.acquire(manager, task, holder, 60_000)).toBe('1');
      }
      let taken: string | undefined;
      const loop = me.runWhileHeld(
        'dead',
        () => running && taken === undefined,
        async (term) => {
          taken = term.generation;
        },
      );
      await eventually(() => expect(taken).toBe('2'), 5000);
      await loop;
      expect(me.isDeadHere(holders.dead)).toBe(true);
      expect(me.isDeadHere(holders.alive)).toBe(false);
      expect(me.isDeadHere(holders.elsewhere)).toBe(false);
      expect(me.isDeadHere(me.holder)).toBe(false);
      expect(await repository.acquire(manager, 'alive', me.holder, 60_000)).toBeUndefined();
      expect(await repository.holderOf(manager, 'elsewhere')).toBe(holders.elsewhere);
    } finally {
      sleeper.kill();
    }
  });
});
