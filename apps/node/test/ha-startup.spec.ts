import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  api,
  createTestDatabase,
  freePort,
  NodeProcess,
  NodeSpec,
  SHARED_NATS_URL,
  signInAs,
  TestDatabase,
  testNamespace,
  testNodeEnvironment,
} from '@tdx/testing';
import { collectMigrations } from '../src/database/migrations';

/**
 * Two replicas of a node started at the same moment on an empty database and without a key:
 * both come up, the schema is migrated once, one first administrator is made, one key is shared,
 * and a session begun at one replica is good at the other.
 */
describe('two replicas starting at once', () => {
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-ha-start-'));
  let db: TestDatabase;
  const replicas: NodeProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('ha15_startup');
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.stop().catch(() => undefined);
    await db?.drop().catch(() => undefined);
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('both come up on an empty database, migrated once, with one administrator, one key and one token secret', async () => {
    // A county whose parent is not running: what is checked here happens before any join.
    const spec: NodeSpec = {
      code: '330106',
      parentCode: '330100',
      databaseUrl: db.url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: testNamespace(),
      keyFile: join(keyDir, 'keys', 'node-330106.pem'),
    };
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      replicas.push(new NodeProcess({ code: spec.code, parentCode: spec.parentCode, port, env: testNodeEnvironment(spec, port) }));
    }
    // Launched together, not one after the other.
    replicas.forEach((replica) => replica.launch());
    await Promise.all(replicas.map((replica) => replica.waitHealthy(120_000)));
    for (const replica of replicas) signInAs(replica.url, 'admin', replica.env.ADMIN_PASSWORD);

    // Neither had to start over: unlocked, the second would fail on the tables the first made and retry.
    for (const replica of replicas) expect(replica.printed()).not.toMatch(/database not ready|EEXIST/);
    const duplicated = await db.query(`SELECT name FROM migrations GROUP BY name HAVING count(*) > 1`);
    expect(duplicated).toEqual([]);
    const [{ applied }] = await db.query<{ applied: string }>(`SELECT count(*) AS applied FROM migrations`);
    expect(Number(applied)).toBe(collectMigrations().length);
    expect(await db.query(`SELECT username FROM account`)).toEqual([{ username: 'admin' }]);

    // One key: both replicas sign as the same node.
    const keys = await Promise.all(replicas.map(async (r) => (await api(r.url, 'GET', '/api/v1/node')).body.publicKey));
    expect(keys[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keys[1]).toBe(keys[0]);

    // One token secret: a token issued by one replica is accepted by the other (as behind a load balancer).
    const signIn = await api(replicas[0].url, 'POST', '/api/v1/auth/login', { username: 'admin', password: replicas[0].env.ADMIN_PASSWORD });
    expect(signIn.status).toBe(200);
    const me = await fetch(`${replicas[1].url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${signIn.body.accessToken}` } });
    expect(me.status).toBe(200);
  }, 200_000);
});
