// Sign-in and accounts on a real node (PostgreSQL and NATS): the first administrator (ADMIN_PASSWORD
// or the one-time setup token), tokens that expire, refresh rotation and reuse detection, sign-out,
// account management, institution scoping, and bad input that changes nothing.
import { randomUUID } from 'node:crypto';
import {
  anonymous,
  api,
  apiWith,
  createTestDatabase,
  deleteNamespaceStreams,
  eventually,
  login,
  NodeProcess,
  SHARED_NATS_URL,
  TEST_ADMIN_PASSWORD,
  TestDatabase,
  testNamespace,
} from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { accountWith } from './support/auth';

const namespace = testNamespace();
const dbs: TestDatabase[] = [];
afterAll(async () => {
  for (const db of dbs) await db.drop();
  await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
});

async function database(label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  dbs.push(db);
  return db;
}

/** Every table sign-in and accounts write, to show a refusal changed nothing. */
async function authTables(db: TestDatabase) {
  return {
    accounts: await db.query('SELECT id, username, password_hash, disabled, sessions_valid_after FROM account ORDER BY id'),
    roles: await db.query('SELECT * FROM account_role ORDER BY account_id, role'),
    refresh: await db.query('SELECT id, used_at, revoked_at FROM refresh_token ORDER BY id'),
    settings: await db.query('SELECT name, value FROM auth_setting ORDER BY name'),
  };
}

describe('the first administrator', () => {
  it('ADMIN_PASSWORD creates admin with the operator role of the tier, once', async () => {
    const db = await database('auth_admin');
    const spec = { code: '330100', parentCode: '330000', databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace };
    let node = await startInProcessNode(spec);
    expect((await api(node.url, 'GET', '/api/v1/auth/me')).body).toMatchObject({
      username: 'admin',
      node: '330100',
      roles: [{ role: 'municipal-admin', institutionId: null }],
    });
    const [stored] = await db.query<{ password_hash: string; created_by: string }>('SELECT password_hash, created_by FROM account');
    expect(stored.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(stored.created_by).toBe('ADMIN_PASSWORD');
    await node.stop();

    // A later start with another ADMIN_PASSWORD changes nothing: the variable only seeds an empty node.
    node = await startInProcessNode({ ...spec, env: { ADMIN_PASSWORD: 'Another-Passw0rd-99' } });
    await expect(login(node.url, 'admin', 'Another-Passw0rd-99')).rejects.toThrow(/401/);
    expect((await login(node.url, 'admin', TEST_ADMIN_PASSWORD)).accessToken).toBeTruthy();
    expect(await db.query('SELECT count(*)::int AS n FROM account')).toEqual([{ n: 1 }]);
    await node.stop();
  });

  it('without ADMIN_PASSWORD: a one-time setup token in the log, exchanged once for admin', async () => {
    const db = await database('auth_setup');
    const node = await NodeProcess.start({
      code: '330106',
      parentCode: '330100',
      databaseUrl: db.url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
      env: { ADMIN_PASSWORD: '' },
    });
    try {
      const token = await eventually(() => {
        const match = /One-time setup token: (tdxs_[A-Za-z0-9_-]+)/.exec(node.printed());
        if (!match) throw new Error('no setup token printed yet');
        return match[1];
      });
      expect(node.printed().split(token).length - 1).toBe(1);
      const [setting] = await db.query<{ value: string }>(`SELECT value FROM auth_setting WHERE name = 'setup-token-hash'`);
      expect(setting.value).toMatch(/^[0-9a-f]{64}$/);
      expect(setting.value).not.toContain(token);
      expect(await db.query('SELECT * FROM account')).toEqual([]);

      const before = await authTables(db);
      expect(await anonymous(node.url, 'POST', '/api/v1/auth/setup', { setupToken: 'tdxs_wrong', password: 'Good-Passw0rd-for-setup' })).toMatchObject({
        status: 401,
      });
      const weak = await anonymous(node.url, 'POST', '/api/v1/auth/setup', { setupToken: token, password: 'short' });
      expect(weak).toMatchObject({ status: 400, body: { fields: [{ field: 'password' }] } });
      expect(await authTables(db)).toEqual(before);

      const done = await anonymous(node.url, 'POST', '/api/v1/auth/setup', { setupToken: token, password: 'Good-Passw0rd-for-setup' });
      expect(done).toMatchObject({
        status: 201,
        body: { username: 'admin', roles: [{ role: 'county-operator', institutionId: null }], createdBy: 'setup-token' },
      });
      expect(await db.query(`SELECT * FROM auth_setting WHERE name = 'setup-token-hash'`)).toEqual([]);
      expect(await anonymous(node.url, 'POST', '/api/v1/auth/setup', { setupToken: token, password: 'Good-Passw0rd-for-setup' })).toMatchObject({
        status: 409,
      });
      expect((await login(node.url, 'admin', 'Good-Passw0rd-for-setup')).accessToken).toBeTruthy();

      // Restarted with accounts in place: no new token is printed.
      const printed = node.printed().length;
      await node.kill('SIGTERM');
      await node.restart();
      await eventually(async () => expect((await anonymous(node.url, 'GET', '/health')).status).toBe(200));
      expect(node.printed().slice(printed)).not.toContain('setup token');
    } finally {
      await node.stop();
    }
  });
});

const METRICS_TOKEN = 'scrape-only-token-0123456789abcdefghij';

describe('sessions', () => {
  let db: TestDatabase;
  let node: RunningNode;

  beforeAll(async () => {
    db = await database('auth_sessions');
    // Access tokens of two seconds: expiry is tested without waiting minutes.
    node = await startInProcessNode({
      code: '330000',
      databaseUrl: db.url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
      env: { ACCESS_TOKEN_TTL: '2', METRICS_TOKEN: METRICS_TOKEN },
    });
  });
  afterAll(() => node?.stop());

  it('a wrong user name and a wrong password get the same 401', async () => {
    const unknown = await anonymous(node.url, 'POST', '/api/v1/auth/login', { username: 'nobody', password: 'Whatever-Passw0rd' });
    const wrong = await anonymous(node.url, 'POST', '/api/v1/auth/login', { username: 'admin', password: 'Whatever-Passw0rd' });
    expect(unknown).toEqual(wrong);
    expect(wrong).toEqual({ status: 401, body: { statusCode: 401, error: 'Unauthorized', message: 'wrong user name or password' } });
  });

  it('an access token expires; refresh rotates, and a reused refresh token revokes its whole sign-in', async () => {
    const first = await login(node.url, 'admin', TEST_ADMIN_PASSWORD);
    expect(first.expiresIn).toBe(2);
    expect((await apiWith(first.accessToken, node.url, 'GET', '/api/v1/auth/me')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await apiWith(first.accessToken, node.url, 'GET', '/api/v1/auth/me')).toMatchObject({
      status: 401,
      body: { message: expect.stringContaining('expired') },
    });

    const second = await anonymous(node.url, 'POST', '/api/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect((await apiWith(second.body.accessToken, node.url, 'GET', '/api/v1/auth/me')).status).toBe(200);
    // Only hashes are stored.
    const stored = await db.query<{ token_hash: string }>('SELECT token_hash FROM refresh_token');
    expect(stored.map((r) => r.token_hash).join()).not.toContain(second.body.refreshToken);

    // The first refresh token again: someone replays it. That sign-in ends, the rotated token too.
    expect(await anonymous(node.url, 'POST', '/api/v1/auth/refresh', { refreshToken: first.refreshToken })).toMatchObject({
      status: 401,
      body: { message: expect.stringContaining('already used') },
    });
    expect((await anonymous(node.url, 'POST', '/api/v1/auth/refresh', { refreshToken: second.body.refreshToken })).status).toBe(401);
  });

  it('logout revokes the refresh token; other sign-ins go on', async () => {
    const a = await login(node.url, 'admin', TEST_ADMIN_PASSWORD);
    const b = await login(node.url, 'admin', TEST_ADMIN_PASSWORD);
    expect((await anonymous(node.url, 'POST', '/api/v1/auth/logout', { refreshToken: a.refreshToken })).status).toBe(204);
    expect((await anonymous(node.url, 'POST', '/api/v1/auth/refresh', { refreshToken: a.refreshToken })).status).toBe(401);
    expect((await anonymous(node.url, 'POST', '/api/v1/auth/refresh', { refreshToken: b.refreshToken })).status).toBe(200);
    // An unknown token signs nobody out and says nothing about it.
    expect((await anonymous(node.url, 'POST', '/api/v1/auth/logout', { refreshToken: 'tdxr_unknown' })).status).toBe(204);
  });

  it('METRICS_TOKEN reads /metrics and nothing else', async () => {
    const scrape = await apiWith(METRICS_TOKEN, node.url, 'GET', '/metrics');
    expect(scrape.status).toBe(200);
    expect(String(scrape.body)).toContain('tdx_outbox_backlog');
    expect((await apiWith(METRICS_TOKEN, node.url, 'GET', '/api/v1/node')).status).toBe(401);
    expect((await apiWith(`${METRICS_TOKEN}x`, node.url, 'GET', '/metrics')).status).toBe(401);
    expect((await anonymous(node.url, 'GET', '/metrics')).status).toBe(401);
  });

  it('bad input to the auth endpoints: 400 naming the field, nothing changed, never a 500', async () => {
    const before = await authTables(db);
    const cases: [string, unknown, string[]][] = [
      ['/api/v1/auth/login', {}, ['password', 'username']],
      ['/api/v1/auth/login', { username: 'admin', password: 'x', extra: 1 }, ['extra']],
      ['/api/v1/auth/login', { username: 7, password: ['a'] }, ['password', 'username']],
      ['/api/v1/auth/login', { username: 'admin', password: 'x'.repeat(300) }, ['password']],
      ['/api/v1/auth/login', { username: 'ad\u0000min', password: 'x' }, ['username']],
      ['/api/v1/auth/refresh', {}, ['refreshToken']],
      ['/api/v1/auth/logout', { refreshToken: '' }, ['refreshToken']],
      ['/api/v1/auth/setup', { setupToken: 1 }, ['password', 'setupToken']],
    ];
    for (const [path, body, fields] of cases) {
      const response = await anonymous(node.url, 'POST', path, body);
      expect({ path, status: response.status, fields: [...new Set((response.body.fields ?? []).map((f: { field: string }) => f.field))].sort() }).toEqual({
        path,
        status: 400,
        fields,
      });
    }
    expect(await anonymous(node.url, 'POST', '/api/v1/auth/login', '{"username": "admin",')).toMatchObject({ status: 400 });
    expect(await authTables(db)).toEqual(before);
  });
});

describe('accounts and institution scope', () => {
  let db: TestDatabase;
  let node: RunningNode;
  let instA: string;
  let instB: string;
  let entryB: string;
  let ia: { id: string; token: string };
  let iu: { id: string; token: string };

  beforeAll(async () => {
    db = await database('auth_accounts');
    node = await startInProcessNode({ code: '330000', databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
    instA = (await api(node.url, 'POST', '/api/v1/institutions', sampleInstitution('Bureau A'))).body.id;
    instB = (await api(node.url, 'POST', '/api/v1/institutions', sampleInstitution('Bureau B'))).body.id;
    entryB = (await api(node.url, 'POST', '/api/v1/catalog/entries', sampleEntry(instB, { name: 'B register' }))).body.id;
    ia = await accountWith(node.url, 'a.admin', [{ role: 'institution-admin', institutionId: instA }]);
    iu = await accountWith(node.url, 'a.user', [{ role: 'institution-user', institutionId: instA }]);
  });
  afterAll(() => node?.stop());

  it("institution A's admin manages A's entries and content, not B's; its users only read A's", async () => {
    const own = await apiWith(ia.token, node.url, 'POST', '/api/v1/catalog/entries', sampleEntry(instA, { name: 'A register' }));
    expect(own.status).toBe(201);
    const csv = 'row_key,region_code,uscc,legal_person_id\nr1,330106,91330106X,330106199001011234\n';
    const upload = (token: string, entry: string) =>
      fetch(`${node.url}/api/v1/datasets/${entry}/rows`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` },
        body: csv,
      });
    expect((await upload(ia.token, own.body.id)).status).toBe(200);

    const entries = await db.query('SELECT id, version, status FROM catalog_entry ORDER BY id');
    const rows = await db.query('SELECT entry_id, row_key FROM dataset_row ORDER BY entry_id, row_key');
    const refusedAs = async (status: number, response: Promise<{ status: number }>) => expect((await response).status).toBe(status);
    await refusedAs(403, apiWith(ia.token, node.url, 'POST', '/api/v1/catalog/entries', sampleEntry(instB)));
    await refusedAs(403, apiWith(ia.token, node.url, 'POST', '/api/v1/catalog/entries/bulk', { entries: [sampleEntry(instA), sampleEntry(instB)] }));
    await refusedAs(403, apiWith(ia.token, node.url, 'PATCH', `/api/v1/catalog/entries/${entryB}`, { summary: 'taken over' }));
    await refusedAs(403, apiWith(ia.token, node.url, 'PATCH', `/api/v1/catalog/entries/${own.body.id}`, { providerId: instB }));
    await refusedAs(403, apiWith(ia.token, node.url, 'DELETE', `/api/v1/catalog/entries/${entryB}`));
    await refusedAs(403, upload(ia.token, entryB));
    await refusedAs(403, apiWith(ia.token, node.url, 'GET', `/api/v1/datasets/${entryB}/rows`));
    await refusedAs(403, apiWith(iu.token, node.url, 'PATCH', `/api/v1/catalog/entries/${own.body.id}`, { summary: 'x' }));
    await refusedAs(403, upload(iu.token, own.body.id));
    expect(await db.query('SELECT id, version, status FROM catalog_entry ORDER BY id')).toEqual(entries);
    expect(await db.query('SELECT entry_id, row_key FROM dataset_row ORDER BY entry_id, row_key')).toEqual(rows);

    // Reading: the user reads A's content and the whole catalog, never B's content.
    expect((await apiWith(iu.token, node.url, 'GET', `/api/v1/datasets/${own.body.id}/rows`)).body.items).toHaveLength(1);
    expect((await apiWith(iu.token, node.url, 'GET', `/api/v1/catalog/entries/${entryB}`)).status).toBe(200);
    await refusedAs(403, apiWith(iu.token, node.url, 'GET', `/api/v1/datasets/${entryB}`));
    expect((await apiWith(ia.token, node.url, 'PATCH', `/api/v1/catalog/entries/${own.body.id}`, { summary: 'updated by A' })).status).toBe(200);
  });

  it("institution A's admin creates and manages A's users only", async () => {
    const made = await apiWith(ia.token, node.url, 'POST', '/api/v1/accounts', {
      username: 'a.clerk',
      password: 'Clerk-Passw0rd-1',
      roles: [{ role: 'institution-user', institutionId: instA }],
    });
    expect(made).toMatchObject({
      status: 201,
      body: { username: 'a.clerk', createdBy: 'a.admin', roles: [{ role: 'institution-user', institutionId: instA }] },
    });
    expect(made.body).not.toHaveProperty('passwordHash');
    const before = await authTables(db);
    for (const roles of [
      [{ role: 'institution-user', institutionId: instB }],
      [{ role: 'institution-admin', institutionId: instA }],
      [{ role: 'auditor' }],
      [{ role: 'province-operator' }],
    ]) {
      expect((await apiWith(ia.token, node.url, 'POST', '/api/v1/accounts', { username: 'a.other', password: 'Other-Passw0rd-1', roles })).status).toBe(403);
    }
    expect(
      (await apiWith(ia.token, node.url, 'PUT', `/api/v1/accounts/${iu.id}/roles`, { roles: [{ role: 'institution-admin', institutionId: instA }] })).status,
    ).toBe(403);
    // The admin's own account and the node's admin lie outside what A's admin manages: 404, not a hint.
    const adminId = (await api(node.url, 'GET', '/api/v1/auth/me')).body.id;
    expect((await apiWith(ia.token, node.url, 'POST', `/api/v1/accounts/${adminId}/disable`)).status).toBe(404);
    expect(await authTables(db)).toEqual(before);

    const listed = await apiWith(ia.token, node.url, 'GET', '/api/v1/accounts');
    expect(listed.body.items.map((a: { username: string }) => a.username).sort()).toEqual(['a.clerk', 'a.user']);
    expect((await apiWith(ia.token, node.url, 'POST', `/api/v1/accounts/${made.body.id}/password`, { password: 'New-Clerk-Passw0rd-2' })).status).toBe(200);
    expect((await login(node.url, 'a.clerk', 'New-Clerk-Passw0rd-2')).accessToken).toBeTruthy();
  });

  it('disabling an account or resetting its password ends its sessions at once', async () => {
    const clerk = await accountWith(node.url, 'b.clerk', [{ role: 'institution-user', institutionId: instB }]);
    expect((await apiWith(clerk.token, node.url, 'GET', '/api/v1/auth/me')).status).toBe(200);
    expect((await api(node.url, 'POST', `/api/v1/accounts/${clerk.id}/password`, { password: 'Reset-Passw0rd-3' })).status).toBe(200);
    expect((await apiWith(clerk.token, node.url, 'GET', '/api/v1/auth/me')).status).toBe(401);
    expect((await anonymous(node.url, 'POST', '/api/v1/auth/refresh', { refreshToken: clerk.refreshToken })).status).toBe(401);

    const fresh = await login(node.url, 'b.clerk', 'Reset-Passw0rd-3');
    expect((await api(node.url, 'POST', `/api/v1/accounts/${clerk.id}/disable`)).body).toMatchObject({ disabled: true });
    expect((await apiWith(fresh.accessToken, node.url, 'GET', '/api/v1/auth/me')).status).toBe(401);
    await expect(login(node.url, 'b.clerk', 'Reset-Passw0rd-3')).rejects.toThrow(/401/);
    expect((await api(node.url, 'POST', `/api/v1/accounts/${clerk.id}/enable`)).body).toMatchObject({ disabled: false });
    expect((await login(node.url, 'b.clerk', 'Reset-Passw0rd-3')).accessToken).toBeTruthy();
  });

  it("signing out, or a reused refresh token, ends that sign-in's access tokens at once; other sign-ins go on", async () => {
    // Access tokens here live 15 minutes: a 401 below is the revocation, not an expiry.
    const me = (token: string) => apiWith(token, node.url, 'GET', '/api/v1/auth/me');
    await accountWith(node.url, 'a.reader', [{ role: 'auditor' }]);
    const password = `Pw-${'a.reader'.length}-Secret-9`;
    const [out, other] = [await login(node.url, 'a.reader', password), await login(node.url, 'a.reader', password)];
    expect([(await me(out.accessToken)).status, (await me(other.accessToken)).status]).toEqual([200, 200]);
    expect((await anonymous(node.url, 'POST', '/api/v1/auth/logout', { refreshToken: out.refreshToken })).status).toBe(204);
    expect(await me(out.accessToken)).toMatchObject({ status: 401, body: { message: expect.stringContaining('invalid') } });
    expect((await me(other.accessToken)).status).toBe(200);

    // A refresh token presented twice: the sign-in's every access token ends, the rotated one too.
    const first = await login(node.url, 'a.reader', password);
    const rotated = (await anonymous(node.url, 'POST', '/api/v1/auth/refresh', { refreshToken: first.refreshToken })).body;
    expect([(await me(first.accessToken)).status, (await me(rotated.accessToken)).status]).toEqual([200, 200]);
    expect((await anonymous(node.url, 'POST', '/api/v1/auth/refresh', { refreshToken: first.refreshToken })).status).toBe(401);
    expect([(await me(first.accessToken)).status, (await me(rotated.accessToken)).status]).toEqual([401, 401]);
    expect((await me(other.accessToken)).status).toBe(200);

    // Signed out at another instance of this node (the database says so; this instance never saw it).
    const elsewhere = await login(node.url, 'a.reader', password);
    await db.query(`UPDATE refresh_token SET revoked_at = now() WHERE token_hash = encode(sha256($1::bytea), 'hex')`, [elsewhere.refreshToken]);
    expect((await me(elsewhere.accessToken)).status).toBe(401);
  });

  it("changing one's own password needs the current one, keeps the session that made it and ends the other sessions", async () => {
    const me = await accountWith(node.url, 'self.service', [{ role: 'auditor' }]);
    const current = `Pw-${'self.service'.length}-Secret-9`;
    const whoami = (token: string) => apiWith(token, node.url, 'GET', '/api/v1/auth/me');
    const [changer, other] = [await login(node.url, 'self.service', current), await login(node.url, 'self.service', current)];
    expect(await apiWith(me.token, node.url, 'POST', '/api/v1/auth/password', { currentPassword: 'wrong', newPassword: 'Brand-New-Passw0rd' })).toMatchObject({
      status: 400,
      body: { fields: [{ field: 'currentPassword' }] },
    });
    expect((await apiWith(me.token, node.url, 'POST', '/api/v1/auth/password', { currentPassword: current, newPassword: 'weak' })).status).toBe(400);
    expect([(await whoami(changer.accessToken)).status, (await whoami(other.accessToken)).status]).toEqual([200, 200]);
    expect(
      (await apiWith(changer.accessToken, node.url, 'POST', '/api/v1/auth/password', { currentPassword: current, newPassword: 'Brand-New-Passw0rd' })).status,
    ).toBe(204);

    // The session that changed it goes on: its access token at once, and its refresh token.
    expect((await whoami(changer.accessToken)).status).toBe(200);
    const rotated = await anonymous(node.url, 'POST', '/api/v1/auth/refresh', { refreshToken: changer.refreshToken });
    expect(rotated.status).toBe(200);
    expect((await whoami(rotated.body.accessToken)).status).toBe(200);
    // Every other session ends at once: access tokens and refresh tokens.
    expect((await whoami(other.accessToken)).status).toBe(401);
    expect((await whoami(me.token)).status).toBe(401);
    expect((await anonymous(node.url, 'POST', '/api/v1/auth/refresh', { refreshToken: other.refreshToken })).status).toBe(401);
    expect((await anonymous(node.url, 'POST', '/api/v1/auth/refresh', { refreshToken: me.refreshToken })).status).toBe(401);
    // The old password no longer signs in; the new one does.
    await expect(login(node.url, 'self.service', current)).rejects.toThrow(/401/);
    expect((await login(node.url, 'self.service', 'Brand-New-Passw0rd')).accessToken).toBeTruthy();
  });

  it('account input the node refuses: 400, 409 or 422 with the reason, nothing written', async () => {
    const before = await authTables(db);
    const create = (body: unknown) => api(node.url, 'POST', '/api/v1/accounts', body);
    expect(await create({ username: 'Bad Name', password: 'Fine-Passw0rd-1', roles: [{ role: 'auditor' }] })).toMatchObject({
      status: 400,
      body: { fields: [{ field: 'username' }] },
    });
    expect(await create({ username: 'weak.one', password: 'alllowercase', roles: [{ role: 'auditor' }] })).toMatchObject({
      status: 400,
      body: { fields: [{ field: 'password' }] },
    });
    expect(await create({ username: 'no.roles', password: 'Fine-Passw0rd-1', roles: [] })).toMatchObject({ status: 400 });
    expect(await create({ username: 'odd.role', password: 'Fine-Passw0rd-1', roles: [{ role: 'root' }] })).toMatchObject({
      status: 400,
      body: { fields: [{ field: 'roles.0.role' }] },
    });
    expect(await create({ username: 'a.user', password: 'Fine-Passw0rd-1', roles: [{ role: 'auditor' }] })).toMatchObject({
      status: 409,
      body: { field: 'username' },
    });
    expect(await create({ username: 'wrong.tier', password: 'Fine-Passw0rd-1', roles: [{ role: 'county-operator' }] })).toMatchObject({
      status: 422,
      body: { rule: 'operator-role-of-this-tier' },
    });
    expect(await create({ username: 'no.inst', password: 'Fine-Passw0rd-1', roles: [{ role: 'institution-user' }] })).toMatchObject({
      status: 422,
      body: { rule: 'institution-role-needs-institution' },
    });
    expect(
      await create({ username: 'far.inst', password: 'Fine-Passw0rd-1', roles: [{ role: 'institution-user', institutionId: randomUUID() }] }),
    ).toMatchObject({ status: 422, body: { rule: 'institution-not-local' } });
    expect((await api(node.url, 'POST', '/api/v1/accounts/not-a-uuid/disable')).status).toBe(400);
    // The last operator cannot lock the node out.
    const adminId = (await api(node.url, 'GET', '/api/v1/auth/me')).body.id;
    expect(await api(node.url, 'POST', `/api/v1/accounts/${adminId}/disable`)).toMatchObject({ status: 422, body: { rule: 'last-operator' } });
    expect(await authTables(db)).toEqual(before);
  });

  it('the public open-data catalog lists only active entries opened unconditionally or as restricted', async () => {
    const open = (await api(node.url, 'POST', '/api/v1/catalog/entries', sampleEntry(instA, { name: 'Open list' }))).body;
    await api(node.url, 'POST', '/api/v1/catalog/entries', sampleEntry(instA, { name: 'Restricted list', grade: 'L2', openType: 'restricted' }));
    const retired = (await api(node.url, 'POST', '/api/v1/catalog/entries', sampleEntry(instA, { name: 'Old open list' }))).body;
    await api(node.url, 'DELETE', `/api/v1/catalog/entries/${retired.id}`);
    const listed = await anonymous(node.url, 'GET', '/api/v1/open/catalog?limit=500');
    expect(listed.status).toBe(200);
    const names = listed.body.items.map((e: { name: string }) => e.name);
    expect(names).toContain('Open list');
    // Restricted entries are listed (the public applies for them); their rows need an approved application.
    expect(names).toContain('Restricted list');
    expect(names).not.toContain('Old open list');
    expect(listed.body.items.find((e: { id: string }) => e.id === open.id)).not.toHaveProperty('providerId');
    expect((await anonymous(node.url, 'GET', '/api/v1/open/catalog?limit=0')).status).toBe(400);
  });
});
