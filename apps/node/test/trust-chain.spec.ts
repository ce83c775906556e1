import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection } from '@nats-io/transport-node';
import {
  encodeEnvelope,
  generateSigningKey,
  JoinReply,
  newNonce,
  openJoinAnswer,
  publicKeyFromBase64url,
  sealRecord,
  SigningKey,
  signJoinAnswer,
  signTrustList,
  subjectsFor,
  TrustList,
} from '@tdx/contracts';
import { loadOrCreateSigningKey } from '../src/config/signing-key.store';
import { api, assertEvery, deleteNamespaceStreams, eventually, provinceKeyFile, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { inProcessFederation, RunningNode } from './support/nodes';
import { LinkInjector, wire } from './support/replication';

/**
 * The chain of trust attacked as an outsider would on a NATS server without authentication: crafted
 * joins, approvals, answers and trust lists published straight on the bus with the project's own
 * envelope code. Only the province's key (the anchor, installed out of band) and what chains to it
 * through signed approvals is believed.
 */
describe('chain of trust', () => {
  const namespace = testNamespace();
  const names = subjectsFor(namespace);
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-chain-'));
  const federation = inProcessFederation(namespace, 'chain', keyDir);
  const { databases, running } = federation;
  let injector: LinkInjector;
  let nc: NatsConnection;
  const operator = { JOIN_APPROVAL: 'operator', TRUST_REFRESH: '1' };

  const start = (code: string, parentCode?: string, env: Record<string, string> = operator) => federation.start(code, parentCode, env);
  const url = (code: string) => (running.get(code) as RunningNode).url;
  const keyOf = (code: string): SigningKey => loadOrCreateSigningKey(join(keyDir, `${code}.pem`)).key;
  const db = (code: string) => databases.get(code) as TestDatabase;

  async function approveWhenAsked(parent: string, child: string): Promise<void> {
    const publicKey = keyOf(child).publicKey;
    await eventually(async () => {
      const { body } = await api(url(parent), 'GET', '/api/v1/federation/nodes?status=pending');
      expect(body.items.map((n: { publicKey: string }) => n.publicKey)).toContain(publicKey);
    }, 20_000);
    expect((await api(url(parent), 'POST', `/api/v1/federation/nodes/${child}/approve`, { publicKey })).status).toBe(200);
  }

  async function listedAt(code: string): Promise<string[]> {
    const { body } = await api(url(code), 'GET', '/api/v1/federation/trust-list');
    return body.nodes.map((n: { code: string }) => n.code);
  }

  async function rejectedAt(code: string): Promise<{ claimed: string | null; reason: string }[]> {
    return db(code).query(`SELECT trim(claimed_origin) AS claimed, reason FROM rejected_message ORDER BY id`);
  }

  /** A join record as `code` would send it, self-signed with `key`. */
  function joinOf(code: string, parent: string, key: SigningKey, nonce = newNonce()) {
    return sealRecord(
      {
        v: 1,
        kind: 'node.join',
        origin: code,
        seq: 0,
        at: new Date().toISOString(),
        body: { code, name: `node ${code}`, level: 'county', parent, publicKey: key.publicKey, nonce },
      },
      key,
    );
  }

  beforeAll(async () => {
    injector = await LinkInjector.connect(SHARED_NATS_URL, namespace);
    nc = await connect({ servers: SHARED_NATS_URL });
    keyOf('330106'); // made before start, so the test can name the key it approves
    await start('330000');
    await start('330100', '330000');
    await approveWhenAsked('330000', '330100');
    await start('330106', '330100');
    await approveWhenAsked('330100', '330106');
    await eventually(async () => expect(await listedAt('330100')).toEqual(expect.arrayContaining(['330000', '330100', '330106'])), 30_000);
  });

  afterAll(async () => {
    await nc?.close();
    await injector?.close();
    for (const n of [...running.values()].reverse()) await n.stop().catch(() => undefined);
    for (const d of databases.values()) await d.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  it("admits a grandchild at the province only on its parent's signed approval, never on a forwarded join or a made-up key", async () => {
    const attacker = generateSigningKey();
    // The attack of the review: a self-signed join of a new county, published on the city's upward subject at the province.
    await injector.publish('330000', '330100', wire(joinOf('330110', '330100', attacker)));
    // And an approval that claims to be the city's, signed by a key the attacker made.
    await injector.publish(
      '330000',
      '330100',
      wire(
        sealRecord(
          {
            v: 1,
            kind: 'node.approval',
            origin: '330100',
            seq: 2 ** 40,
            at: new Date().toISOString(),
            body: { code: '330110', name: 'forged', level: 'county', parent: '330100', publicKey: attacker.publicKey, approvedAt: new Date().toISOString() },
          },
          attacker,
        ),
      ),
    );
    await eventually(async () => {
      const reasons = (await rejectedAt('330000')).map((r) => r.reason);
      expect(reasons).toContainEqual(expect.stringContaining("only on its parent's signed approval"));
      expect(reasons).toContainEqual(expect.stringContaining('signature does not verify with the key of 330100'));
    }, 20_000);
    expect((await api(url('330000'), 'GET', '/api/v1/federation/nodes')).body.items.map((n: { code: string }) => n.code)).not.toContain('330110');
    expect(await listedAt('330000')).not.toContain('330110');
    // The genuine grandchild came in on the city's approval, and the province says so.
    const { body } = await api(url('330000'), 'GET', '/api/v1/federation/nodes?status=approved');
    expect(body.items).toContainEqual(
      expect.objectContaining({ code: '330106', via: '330100', decidedBy: 'approved at 330100', publicKey: keyOf('330106').publicKey }),
    );
  });

  it("keeps a revocation made at the province in force against the city's signed word, until an operator there lifts it", async () => {
    expect((await api(url('330000'), 'POST', '/api/v1/federation/nodes/330106/revoke', { reason: 'key suspected stolen' })).status).toBe(200);
    await eventually(async () => expect(await listedAt('330000')).not.toContain('330106'), 20_000);
    // The city's key (in an attacker's hands, or its operator mistaken) approves the revoked key again, with a fresh sequence.
    await injector.publish(
      '330000',
      '330100',
      wire(
        sealRecord(
          {
            v: 1,
            kind: 'node.approval',
            origin: '330100',
            seq: 2 ** 41,
            at: new Date().toISOString(),
            body: {
              code: '330106',
              name: '西湖区',
              level: 'county',
              parent: '330100',
              publicKey: keyOf('330106').publicKey,
              approvedAt: new Date().toISOString(),
            },
          },
          keyOf('330100'),
        ),
      ),
    );
    await eventually(
      async () =>
        expect((await rejectedAt('330000')).map((r) => r.reason)).toContainEqual(
          expect.stringContaining('was revoked at 330000; only an operator here admits it again'),
        ),
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await listedAt('330000')).not.toContain('330106');
    expect((await api(url('330000'), 'GET', '/api/v1/federation/nodes?status=revoked')).body.items.map((n: { code: string }) => n.code)).toContain('330106');

    // The province's operator lifts the revocation: the node is admitted again on the city's approval it holds.
    const reinstated = await api(url('330000'), 'POST', '/api/v1/federation/nodes/330106/approve', {});
    expect(reinstated.status).toBe(200);
    expect(reinstated.body).toMatchObject({ code: '330106', status: 'approved', via: '330100' });
    await eventually(async () => expect(await listedAt('330000')).toContain('330106'), 20_000);
  });

  it('lets no squatter lock out the genuine node: each key that asks is a candidate with its fingerprint, approved by key', async () => {
    const squatter = generateSigningKey();
    const nonce = newNonce();
    const answer = await nc.request(names.join('330100', '330108'), encodeEnvelope(joinOf('330108', '330100', squatter, nonce)), { timeout: 5000 });
    const reply = openJoinAnswer(answer.data, [publicKeyFromBase64url(keyOf('330100').publicKey)], { from: '330100', to: '330108', nonce });
    expect(reply).toMatchObject({ ok: false, pending: true });

    keyOf('330108');
    await start('330108', '330100');
    let candidates: { publicKey: string; fingerprint: string; source: string; attempts: number }[] = [];
    await eventually(async () => {
      candidates = (await api(url('330100'), 'GET', '/api/v1/federation/nodes?status=pending')).body.items.filter((n: { code: string }) => n.code === '330108');
      expect(candidates.map((c) => c.publicKey).sort()).toEqual([squatter.publicKey, keyOf('330108').publicKey].sort());
    }, 20_000);
    assertEvery(
      candidates,
      (c) => /^([0-9a-f]{4}:){7}[0-9a-f]{4}$/.test(c.fingerprint) && c.source === names.join('330100', '330108'),
      'join candidates with a fingerprint and the join subject',
    );

    const ambiguous = await api(url('330100'), 'POST', '/api/v1/federation/nodes/330108/approve', {});
    expect(ambiguous.status).toBe(409);
    for (const c of candidates) expect(ambiguous.body.message).toContain(c.fingerprint);

    const approved = await api(url('330100'), 'POST', '/api/v1/federation/nodes/330108/approve', { publicKey: keyOf('330108').publicKey });
    expect(approved.status).toBe(200);
    await eventually(async () => expect((await api(url('330108'), 'GET', '/api/v1/federation/status')).body.parent.joined).toBe(true), 20_000);
    const rejected = await api(url('330100'), 'POST', '/api/v1/federation/nodes/330108/reject', { reason: 'not ours', publicKey: squatter.publicKey });
    expect(rejected.body).toMatchObject({ status: 'rejected', publicKey: squatter.publicKey });
    await eventually(async () => expect(await listedAt('330000')).toContain('330108'), 20_000);
    expect((await api(url('330000'), 'GET', '/api/v1/federation/trust-list')).body.nodes).toContainEqual(
      expect.objectContaining({ code: '330108', publicKey: keyOf('330108').publicKey }),
    );
  });

  describe('a node whose parent is impersonated', () => {
    // Ningbo's county 330212 asks its parent 330200, which is not running: whoever answers on the bus is an impostor.
    let impostor: { stop(): void; serve(list: unknown): void };

    beforeAll(async () => {
      const fakeParent = generateSigningKey();
      const fakeProvince = generateSigningKey();
      let trustAnswer: unknown = forgedList(fakeProvince, 1_000_000_000, Date.now());
      const joins = nc.subscribe(names.join('330200', '330212'), {
        callback: (_e, msg) => {
          const record = JSON.parse(JSON.parse(Buffer.from(msg.data).toString()).payload);
          const ok: JoinReply = { ok: true, parent: { code: '330200', name: '宁波市', publicKey: fakeParent.publicKey } };
          // Taking turns: the old unsigned answer that named ancestors' keys, and a signed one with the impostor's key.
          if (Math.random() < 0.5) msg.respond(JSON.stringify({ ...ok, ancestors: [{ code: '330000', name: '浙江省', publicKey: fakeProvince.publicKey }] }));
          else msg.respond(JSON.stringify(signJoinAnswer('330200', '330212', record.body.nonce, ok, fakeParent)));
        },
      });
      const lists = nc.subscribe(names.trust('330200'), { callback: (_e, msg) => void msg.respond(JSON.stringify(trustAnswer)) });
      impostor = {
        stop: () => {
          joins.unsubscribe();
          lists.unsubscribe();
        },
        serve: (list) => (trustAnswer = list),
      };
      await start('330212', '330200');
    });

    afterAll(() => impostor.stop());

    function forgedList(key: SigningKey, version: number, issuedAt: number): unknown {
      const list: TrustList = {
        v: 1,
        issuer: '330000',
        version,
        issuedAt: new Date(issuedAt).toISOString(),
        expiresAt: new Date(issuedAt + 3600_000).toISOString(),
        nodes: [{ code: '330000', parent: null, name: '浙江省', publicKey: key.publicKey }],
      };
      return signTrustList(list, key);
    }

    it('acts on no answer its anchor does not vouch for, and learns no key from one', async () => {
      await eventually(
        async () => expect((await api(url('330212'), 'GET', '/api/v1/federation/status')).body.parent.lastError).toMatch(/cannot be checked yet/),
        20_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const { body: status } = await api(url('330212'), 'GET', '/api/v1/federation/status');
      expect(status.parent.joined).toBe(false);
      expect((await api(url('330212'), 'GET', '/api/v1/federation/trust-list')).body.state).toBe('missing');
      expect(await db('330212').query(`SELECT 1 FROM trust_list`)).toEqual([]);
      expect(await db('330212').query(`SELECT 1 FROM parent_link WHERE parent_public_key IS NOT NULL`)).toEqual([]);
    });

    it('takes a list only in order of issue: one from the future is refused, and an absurd version does not hold off the next', async () => {
      const province = loadOrCreateSigningKey(provinceKeyFile(namespace)).key;
      impostor.serve(forgedList(province, 7, Date.now() + 365 * 86_400_000));
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect((await api(url('330212'), 'GET', '/api/v1/federation/trust-list')).body.state).toBe('missing');

      impostor.serve(forgedList(province, 1_000_000_000, Date.now()));
      await eventually(async () => expect((await api(url('330212'), 'GET', '/api/v1/federation/trust-list')).body.version).toBe(1_000_000_000), 20_000);
      impostor.serve(forgedList(province, 8, Date.now() + 1000));
      await eventually(async () => expect((await api(url('330212'), 'GET', '/api/v1/federation/trust-list')).body.version).toBe(8), 20_000);
    });

    it('lets an operator drop the list a node holds, without touching its database', async () => {
      const province = loadOrCreateSigningKey(provinceKeyFile(namespace)).key;
      // An older list than the one held is refused; after the reset, it is the one taken.
      impostor.serve(forgedList(province, 3, Date.now() - 60_000));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await api(url('330212'), 'GET', '/api/v1/federation/trust-list')).body.version).toBe(8);
      const reset = await api(url('330212'), 'POST', '/api/v1/federation/trust-list/reset', { reason: 'list from a misconfigured province run' });
      expect(reset.status).toBe(200);
      expect(reset.body.state).toBe('missing');
      await eventually(async () => expect((await api(url('330212'), 'GET', '/api/v1/federation/trust-list')).body.version).toBe(3), 20_000);
      expect((await api(url('330212'), 'POST', '/api/v1/federation/trust-list/reset', {})).status).toBe(400);
    });
  });
});
