import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { subjectsFor } from '@tdx/contracts';
import { loadOrCreateSigningKey } from '../src/config/signing-key.store';
import { api, deleteNamespaceStreams, eventually, SHARED_NATS_URL, testNamespace } from '@tdx/testing';
import { inProcessFederation, RunningNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { LinkInjector, sealedEntry, wire } from './support/replication';

/**
 * Node identity on the real PostgreSQL and NATS: joins wait for an operator, a revoked
 * node is refused, and an expired trust list fails closed until a newer one arrives.
 */
describe('node identity', () => {
  const namespace = testNamespace();
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-identity-'));
  const { databases, running, start } = inProcessFederation(namespace, 'id', keyDir);
  let injector: LinkInjector;

  const node = (code: string) => running.get(code) as RunningNode;
  const operator = { JOIN_APPROVAL: 'operator', TRUST_REFRESH: '1' };

  async function nodesAt(code: string, status?: string) {
    const { status: http, body } = await api(node(code).url, 'GET', `/api/v1/federation/nodes${status ? `?status=${status}` : ''}`);
    expect(http).toBe(200);
    return body.items as { code: string; status: string; reason: string | null; decidedBy: string | null }[];
  }

  async function institutionsAt(code: string): Promise<string[]> {
    const { body } = await api(node(code).url, 'GET', '/api/v1/institutions?limit=200');
    return body.items.map((i: { name: string }) => i.name);
  }

  beforeAll(async () => {
    injector = await LinkInjector.connect(SHARED_NATS_URL, namespace);
    await start('330000', undefined, { ...operator, TRUST_LIST_TTL: '4' });
    await start('330100', '330000', operator);
  });

  afterAll(async () => {
    await injector?.close();
    for (const n of [...running.values()].reverse()) await n.stop().catch(() => undefined);
    for (const db of databases.values()) await db.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  /** A second version of one of `code`'s own entries, signed with `code`'s key, as its outbox would send it. */
  async function craftedVersion(code: string, entryId: string): Promise<Uint8Array> {
    const { body: current } = await api(node(code).url, 'GET', `/api/v1/catalog/entries/${entryId}`);
    const key = loadOrCreateSigningKey(join(keyDir, `${code}.pem`)).key;
    return wire(sealedEntry({ ...current, name: `${current.name} (second version)`, version: current.version + 1, updatedAt: new Date().toISOString() }, key));
  }

  it('keeps a join pending until an operator approves it, and applies nothing from the node meanwhile', async () => {
    await eventually(async () => expect(await nodesAt('330000', 'pending')).toEqual([expect.objectContaining({ code: '330100', status: 'pending' })]));
    const { body: status } = await api(node('330100').url, 'GET', '/api/v1/federation/status');
    expect(status.parent.joined).toBe(false);
    expect(status.parent.lastError).toContain('waits for an operator at 330000');

    // The city writes, and a record signed with the city's own key goes straight into the province's stream.
    const { body: institution } = await api(node('330100').url, 'POST', '/api/v1/institutions', sampleInstitution('Hangzhou Bureau of Statistics'));
    const { body: entry } = await api(node('330100').url, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.id));
    const seq = await injector.publish('330000', '330100', await craftedVersion('330100', entry.id));
    // First the positive signal: the record has arrived in the province's inbound stream, where the
    // province reads its children's records. Then: no consumer reads the pending city's subject,
    // so the record waits there unapplied (below, approval applies this same record).
    await eventually(async () => expect(await injector.holds('330000', '330100', seq)).toBe(true));
    expect(await injector.readSubjects('330000')).not.toContain(subjectsFor(namespace).up('330000', '330100'));
    expect(await injector.holds('330000', '330100', seq)).toBe(true);
    expect(await institutionsAt('330000')).not.toContain('Hangzhou Bureau of Statistics');
    expect((await api(node('330000').url, 'GET', `/api/v1/catalog/entries/${entry.id}`)).status).toBe(404);
    expect((await nodesAt('330000', 'approved')).map((n) => n.code)).not.toContain('330100');

    const approved = await api(node('330000').url, 'POST', '/api/v1/federation/nodes/330100/approve');
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ code: '330100', status: 'approved', decidedBy: 'user:admin' });
    await eventually(async () => expect(await institutionsAt('330000')).toContain('Hangzhou Bureau of Statistics'), 20_000);
    await eventually(async () => expect((await api(node('330000').url, 'GET', `/api/v1/catalog/entries/${entry.id}`)).body.version).toBe(2), 20_000);
    await eventually(async () => expect((await api(node('330100').url, 'GET', '/api/v1/federation/status')).body.parent.joined).toBe(true));
  });

  it("hands the province's signed trust list down, naming every approved node", async () => {
    await eventually(async () => {
      const { body } = await api(node('330100').url, 'GET', '/api/v1/federation/trust-list');
      expect(body).toMatchObject({ state: 'valid', issuer: '330000' });
      expect(body.nodes.map((n: { code: string }) => n.code).sort()).toEqual(['330000', '330100']);
    }, 20_000);
  });

  it('rejects a join with a reason the joining node sees, and answers bad decisions clearly', async () => {
    await start('330108', '330100', operator);
    await eventually(async () => expect((await nodesAt('330100', 'pending')).map((n) => n.code)).toContain('330108'));
    const rejected = await api(node('330100').url, 'POST', '/api/v1/federation/nodes/330108/reject', { reason: 'not a district we serve yet' });
    expect(rejected.body).toMatchObject({ code: '330108', status: 'rejected', reason: 'not a district we serve yet' });
    await eventually(
      async () => expect((await api(node('330108').url, 'GET', '/api/v1/federation/status')).body.parent.lastError).toContain('not a district we serve yet'),
      20_000,
    );

    // What the decisions could change; the rejected node asking again moves only its attempts and lastSeen.
    const decided = async () => (await nodesAt('330100')).map(({ attempts: _a, lastSeen: _l, ...rest }: Record<string, unknown>) => rest);
    const before = await decided();
    expect((await api(node('330100').url, 'POST', '/api/v1/federation/nodes/abc/approve')).status).toBe(400);
    expect((await api(node('330100').url, 'POST', '/api/v1/federation/nodes/330110/approve')).status).toBe(404);
    expect((await api(node('330100').url, 'POST', '/api/v1/federation/nodes/330108/reject', {})).status).toBe(400);
    expect((await api(node('330100').url, 'POST', '/api/v1/federation/nodes/330108/reject', { reason: 'again' })).status).toBe(409);
    expect((await api(node('330000').url, 'POST', '/api/v1/federation/nodes/330100/approve')).status).toBe(409);
    expect((await api(node('330000').url, 'GET', '/api/v1/federation/nodes?status=sleeping')).status).toBe(400);
    expect(await decided()).toEqual(before);
  });

  it('refuses what a node revoked at the province signs, everywhere the new trust list reaches', async () => {
    await start('330106', '330100', operator);
    await eventually(async () => expect((await nodesAt('330100', 'pending')).map((n) => n.code)).toContain('330106'));
    await api(node('330100').url, 'POST', '/api/v1/federation/nodes/330106/approve');
    await api(node('330106').url, 'POST', '/api/v1/institutions', sampleInstitution('Xihu Market Bureau'));
    await eventually(async () => expect(await institutionsAt('330000')).toContain('Xihu Market Bureau'), 30_000);

    // A grandchild: the province admitted it on the city's signed approval, and revokes it for the federation.
    const revoked = await api(node('330000').url, 'POST', '/api/v1/federation/nodes/330106/revoke', { reason: 'key leaked' });
    expect(revoked.body).toMatchObject({ code: '330106', status: 'revoked', reason: 'key leaked' });
    await eventually(async () => {
      const { body } = await api(node('330100').url, 'GET', '/api/v1/federation/trust-list');
      expect(body.nodes.map((n: { code: string }) => n.code)).not.toContain('330106');
    }, 20_000);

    await api(node('330106').url, 'POST', '/api/v1/institutions', sampleInstitution('Xihu Statistics Bureau'));
    await eventually(async () => {
      const rows = await databases.get('330100')!.query<{ reason: string }>(`SELECT reason FROM rejected_message WHERE claimed_origin = '330106'`);
      expect(rows.map((r) => r.reason)).toContainEqual(expect.stringContaining('revoked'));
    }, 20_000);
    expect(await institutionsAt('330100')).not.toContain('Xihu Statistics Bureau');
    expect(await institutionsAt('330000')).not.toContain('Xihu Statistics Bureau');
  });

  it("replaces a revoked node's key: the parent revokes the old one too and approves the new", async () => {
    const oldKey = (await nodesAt('330100')).find((n) => n.code === '330106');
    expect((await api(node('330100').url, 'POST', '/api/v1/federation/nodes/330106/revoke', { reason: 'key replaced' })).status).toBe(200);
    await node('330106').stop();
    rmSync(join(keyDir, '330106.pem'));
    await start('330106', '330100', operator); // a new key is created on this start
    await eventually(async () => expect((await nodesAt('330100', 'pending')).map((n) => n.code)).toContain('330106'), 20_000);
    const approved = await api(node('330100').url, 'POST', '/api/v1/federation/nodes/330106/approve');
    expect(approved.body.status).toBe('approved');
    expect(approved.body).not.toMatchObject({ publicKey: (oldKey as unknown as { publicKey: string }).publicKey });
    await api(node('330106').url, 'POST', '/api/v1/institutions', sampleInstitution('Xihu Open Data Office'));
    await eventually(async () => expect(await institutionsAt('330000')).toContain('Xihu Open Data Office'), 30_000);
    await eventually(async () => {
      const { body } = await api(node('330100').url, 'GET', '/api/v1/federation/trust-list');
      expect(body.nodes).toContainEqual(expect.objectContaining({ code: '330106', publicKey: approved.body.publicKey }));
    }, 20_000);
  });

  it('rotates a key: announced under the old key, in force once the trust list names it; what the old key signed stays valid', async () => {
    const before = (await api(node('330106').url, 'GET', '/api/v1/node')).body.publicKey as string;
    const { body: entryBefore } = await api(
      node('330106').url,
      'POST',
      '/api/v1/catalog/entries',
      sampleEntry((await api(node('330106').url, 'GET', '/api/v1/institutions?scope=local&limit=1')).body.items[0].id),
    );
    const oldSigned = await craftedVersion('330106', entryBefore.id); // signed with the key in use now

    const rotated = await api(node('330106').url, 'POST', '/api/v1/federation/key/rotate');
    expect(rotated.status).toBe(202);
    expect(rotated.body).toMatchObject({ state: 'announced', previousPublicKey: before });
    expect(rotated.body.publicKey).not.toBe(before);
    await eventually(async () => expect((await api(node('330106').url, 'GET', '/api/v1/node')).body.publicKey).toBe(rotated.body.publicKey), 20_000);
    const { body: list } = await api(node('330100').url, 'GET', '/api/v1/federation/trust-list');
    expect(list.nodes).toContainEqual(expect.objectContaining({ code: '330106', publicKey: rotated.body.publicKey, previousPublicKey: before }));

    // New writes are signed with the new key and arrive; a record the old key signed before still verifies.
    await api(node('330106').url, 'POST', '/api/v1/institutions', sampleInstitution('Xihu Rotated Key Office'));
    await eventually(async () => expect(await institutionsAt('330000')).toContain('Xihu Rotated Key Office'), 30_000);
    await injector.publish('330100', '330106', oldSigned);
    await eventually(async () => expect((await api(node('330000').url, 'GET', `/api/v1/catalog/entries/${entryBefore.id}`)).body.version).toBe(2), 30_000);

    // The province's key anchors the trust list: not rotated through the API.
    expect((await api(node('330000').url, 'POST', '/api/v1/federation/key/rotate')).status).toBe(422);
  });

  it('fails closed once the trust list expires, and recovers by itself when a newer one arrives', async () => {
    // The province issues lists valid for 4 s; with it stopped, the city's copy runs out.
    await node('330000').stop();
    await eventually(async () => expect((await api(node('330100').url, 'GET', '/api/v1/federation/trust-list')).body.state).toBe('expired'), 20_000);
    // The city approves the county it had rejected; the county writes. Nothing moves: the county cannot
    // check its parent's signed answer, nor the city the county's records, without a valid list.
    await api(node('330100').url, 'POST', '/api/v1/federation/nodes/330108/approve');
    await api(node('330108').url, 'POST', '/api/v1/institutions', sampleInstitution('Binjiang Data Bureau'));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await institutionsAt('330100')).not.toContain('Binjiang Data Bureau');
    const { body: waiting } = await api(node('330100').url, 'GET', '/api/v1/federation/status');
    expect(waiting.trustList).toMatchObject({ state: 'expired', alarm: true });
    await eventually(
      async () =>
        expect((await api(node('330108').url, 'GET', '/api/v1/federation/status')).body.parent.lastError).toMatch(
          /cannot be checked yet: the trust list expired|holds no trust list/,
        ),
      20_000,
    );

    // Back: the province issues a list naming the county (its join came up meanwhile), and the record waiting in the stream is applied.
    await start('330000', undefined, { ...operator, TRUST_LIST_TTL: '4' });
    await eventually(async () => expect(await institutionsAt('330100')).toContain('Binjiang Data Bureau'), 40_000);
    expect((await api(node('330100').url, 'GET', '/api/v1/federation/trust-list')).body.state).toBe('valid');
  });
});
