import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers as natsHeaders, Msg, NatsConnection } from '@nats-io/transport-node';
import {
  newReturnNonce,
  openReturnMessage,
  publicKeyFromBase64url,
  RETURN_SIG_HEADER,
  ReturnMessage,
  sealReturnMessage,
  SigningKey,
  signingKeyFromPem,
  subjectsFor,
  verifyReturnMessage,
} from '@tdx/contracts';
import { api, createTestDatabase, deleteNamespaceStreams, eventually, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { waitForJob, writeSourceRows } from './support/returns';
import { awaitTrustLists } from './support/replication';

type Sealed = { data: Buffer; sig: string; nonce: string };

/**
 * Hangzhou 330100 is an approved node below the province 330000, which holds a data entry. The
 * test holds Hangzhou's signing key, crafts return messages with the project's own wire code and
 * sends them straight on NATS as Hangzhou would (on Hangzhou's subject): malformed bodies, a
 * captured pull sent again, stale times; and, playing the province, an old answer to Hangzhou.
 */
describe('return messages crafted by an approved node and sent straight on NATS', () => {
  const namespace = testNamespace();
  const names = subjectsFor(namespace);
  const subject = names.return('330000', '330100');
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-hostile-'));
  const databases: Record<string, TestDatabase> = {};
  const nodes: Record<string, RunningNode> = {};
  let nc: NatsConnection;
  let cityKey: SigningKey;
  let provinceKey: SigningKey;
  let entryId: string;
  let requestId: string;

  async function start(code: string, parentCode?: string): Promise<void> {
    databases[code] = await createTestDatabase(`hostile_${code}`);
    nodes[code] = await startInProcessNode({
      code,
      parentCode,
      databaseUrl: databases[code].url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
      keyFile: join(keyDir, `${code}.pem`),
    });
  }

  /** A message as Hangzhou's node would sign it; header fields may be overridden and the body is anything. */
  function seal(kind: string, body: unknown, header: Record<string, unknown> = {}): Sealed {
    const nonce = newReturnNonce();
    const message = { v: 1, kind, from: '330100', to: '330000', at: new Date().toISOString(), nonce, body, ...header };
    return { ...sealReturnMessage(message as ReturnMessage, cityKey), nonce };
  }

  /** Sends on Hangzhou's return subject (each call a new reply inbox) and opens the province's signed answer. */
  async function deliver(sealed: Sealed): Promise<{ reply: Msg; message: ReturnMessage }> {
    const h = natsHeaders();
    h.set(RETURN_SIG_HEADER, sealed.sig);
    const reply = await nc.request(subject, sealed.data, { timeout: 10_000, headers: h });
    expect(verifyReturnMessage(reply.data, reply.headers?.get(RETURN_SIG_HEADER), publicKeyFromBase64url(provinceKey.publicKey))).toBe(true);
    return { reply, message: openReturnMessage(reply.data).message };
  }

  async function incomingAtProvince(): Promise<{ id: string; purpose: string; rows_sent: string }[]> {
    return databases['330000'].query(`SELECT id, purpose, rows_sent FROM return_request WHERE direction = 'incoming' ORDER BY id`);
  }

  beforeAll(async () => {
    await start('330000');
    await start('330100', '330000');
    cityKey = signingKeyFromPem(readFileSync(join(keyDir, '330100.pem'), 'utf8'));
    provinceKey = signingKeyFromPem(readFileSync(join(keyDir, '330000.pem'), 'utf8'));
    nc = await connect({ servers: SHARED_NATS_URL });
    const province = nodes['330000'].url;
    const institution = await api(province, 'POST', '/api/v1/institutions', sampleInstitution('Provincial Market Regulator'));
    entryId = (await api(province, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id, { updateCycle: 'irregular' }))).body.id;
    await writeSourceRows(
      databases['330000'],
      entryId,
      Array.from({ length: 30 }, (_, i) => ({
        key: `k${i}`,
        region: '330100',
        data: { uscc: `91330100MA${String(i).padStart(8, '0')}`, legal_person_id: `33010019900101${String(1000 + i)}` },
      })),
    );
    await eventually(async () => {
      expect(await databases['330000'].query(`SELECT code FROM known_node WHERE code = '330100' AND status = 'approved'`)).toHaveLength(1);
    });
    await awaitTrustLists([province, nodes['330100'].url], ['330000', '330100']);
    const created = await api(nodes['330100'].url, 'POST', '/api/v1/returns/requests', { entryId, holder: '330000', purpose: 'supervision' });
    expect(created.body).toMatchObject({ state: 'granted' });
    requestId = created.body.id;
    await waitForJob(nodes['330100'].url, requestId);
  });

  afterAll(async () => {
    await nc?.close();
    await Promise.all(Object.values(nodes).map((n) => n.stop()));
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    await Promise.all(Object.values(databases).map((d) => d.drop()));
  });

  it('answers every malformed body with a permanent 400 that echoes its nonce, and stores nothing', async () => {
    const before = await incomingAtProvince();
    const id = randomUUID();
    const cases: [string, unknown, string][] = [
      ['return.request', { id: 'not-a-uuid', entryId, scope: 'self', purpose: 'p' }, 'body.id must be'],
      ['return.request', { id, entryId: "1' OR '1'='1", scope: 'self', purpose: 'p' }, 'body.entryId must be'],
      ['return.request', { id, entryId, scope: 'everything', purpose: 'p' }, 'body.scope must be one of self, subtree'],
      ['return.request', { id, entryId, scope: 'self', purpose: 'x'.repeat(700_000) }, 'body.purpose must be a string of 1 to 2000 characters'],
      ['return.request', { id, entryId, scope: 'self', purpose: { text: 'supervision' } }, 'body.purpose must be a string'],
      ['return.request', { id, entryId, scope: 'self', purpose: 'p\u0000' }, 'body.purpose must not contain NUL'],
      ['return.request', null, 'body must be an object'],
      ['return.status', { id: 'nope' }, 'body.id must be'],
      ['return.plan', { requestId, after: -1, tombstonesAfter: null }, 'body.after must be an integer'],
      ['return.pull', { requestId: 'x', after: 0, upto: 10, tombstonesAfter: 0 }, 'body.requestId must be'],
      ['return.pull', { requestId, after: 0, upto: 10, tombstonesAfter: 0, sql: 'DROP TABLE dataset_row' }, 'body has an unknown field "sql"'],
      ['return.state', { id }, 'body.entryId must be'],
      ['return.withdraw', { id: requestId, reason: '   ' }, 'body.reason must be not blank'],
      ['return.withdraw', { id: requestId }, 'body.reason must be a string'],
      ['return.subtree', { cursor: "0' OR 1=1", limit: 10 }, 'body.cursor must be a cursor'],
      ['return.subtree', { cursor: null, limit: 100_000 }, 'body.limit must be an integer from 1 to 100'],
      ['return.requests', { items: [], nextCursor: null }, 'return.requests is not a request'],
      ['return.error', { kind: 'invalid', message: "a holder's answer", permanent: true }, 'return.error is not a request'],
    ];
    for (const [kind, body, problem] of cases) {
      const sealed = seal(kind, body);
      const { message } = await deliver(sealed);
      expect({ kind, answer: message }).toMatchObject({
        kind,
        answer: { kind: 'return.error', from: '330000', to: '330100', re: sealed.nonce, body: { kind: 'invalid', permanent: true } },
      });
      expect(message.body).toMatchObject({ message: expect.stringContaining(problem) });
      // The refusal names the problem; it never carries the value back.
      expect(JSON.stringify(message.body).length).toBeLessThan(500);
    }
    expect(await incomingAtProvince()).toEqual(before);
    // Refused, and on record as refused at the holder.
    await eventually(async () => {
      const refused = await databases['330000'].query(
        `SELECT 1 FROM audit_record WHERE action = 'return.refused' AND actor = 'node:330100' AND outcome = '400'`,
      );
      expect(refused.length).toBeGreaterThan(0);
    });
  });

  it('refuses a header that does not fit, answering the node the subject names', async () => {
    const sealed = seal('return.status', { id: requestId }, { at: 'yesterday' });
    const { message } = await deliver(sealed);
    expect(message).toMatchObject({ kind: 'return.error', to: '330100', re: sealed.nonce, body: { kind: 'invalid', permanent: true } });
    expect(message.body).toMatchObject({ message: expect.stringContaining('message.at must be an ISO 8601 UTC timestamp') });
  });

  it('serves a captured pull once: sent again to a new reply subject, it is refused as a replay and nothing more is served', async () => {
    const plan = await deliver(seal('return.plan', { requestId, after: 0, tombstonesAfter: 0 }));
    expect(plan.message).toMatchObject({ kind: 'return.ranges', body: { requestId, after: 0 } });
    const upto = (plan.message.body as { bounds: number[] }).bounds[0];
    const pull = seal('return.pull', { requestId, after: 0, upto, tombstonesAfter: 0 });
    const served = await deliver(pull);
    expect(served.message).toMatchObject({ kind: 'return.chunk', re: pull.nonce, body: { requestId, rows: 30 } });
    const sentBefore = (await incomingAtProvince()).find((r) => r.id === requestId)?.rows_sent;

    const replayed = await deliver(pull);
    expect(replayed.reply.subject).not.toBe(served.reply.subject);
    expect(replayed.message).toMatchObject({
      kind: 'return.error',
      re: pull.nonce,
      body: { kind: 'forbidden', permanent: false, message: expect.stringContaining('nonce was used before') },
    });
    expect((await incomingAtProvince()).find((r) => r.id === requestId)?.rows_sent).toBe(sentBefore);
  });

  it('refuses a message sent more than two minutes ago, or dated more than two minutes ahead', async () => {
    for (const skew of [-121_000, 121_000]) {
      const sealed = seal('return.status', { id: requestId }, { at: new Date(Date.now() + skew).toISOString() });
      const { message } = await deliver(sealed);
      expect(message).toMatchObject({
        kind: 'return.error',
        re: sealed.nonce,
        body: { kind: 'forbidden', permanent: false, message: expect.stringContaining('more than 120 s from') },
      });
    }
    const fresh = seal('return.status', { id: requestId }, { at: new Date(Date.now() - 60_000).toISOString() });
    expect((await deliver(fresh)).message).toMatchObject({ kind: 'return.state', re: fresh.nonce, body: { id: requestId, state: 'granted' } });
  });

  // Stops the province: last in this file.
  it("takes no old answer: the province's signed answer to an earlier plan, sent back to Hangzhou, does not end its sync", async () => {
    const [request] = await databases['330100'].query<{ applied_seq: string }>('SELECT applied_seq FROM return_request WHERE id = $1', [requestId]);
    // The answer the province gives to exactly the plan an incremental sync asks for: nothing new.
    const captured = await deliver(seal('return.plan', { requestId, after: Number(request.applied_seq), tombstonesAfter: 0 }));
    expect(captured.message).toMatchObject({ kind: 'return.ranges', body: { requestId, after: Number(request.applied_seq), bounds: [] } });
    await nodes['330000'].stop();
    delete nodes['330000'];
    const replayer = nc.subscribe(subject, {
      callback: (_error, msg) => {
        msg.respond(captured.reply.data, { headers: captured.reply.headers });
      },
    });
    try {
      const job = await api(nodes['330100'].url, 'POST', `/api/v1/returns/requests/${requestId}/sync`);
      expect(job.status).toBe(201);
      await eventually(async () => {
        const current = await api(nodes['330100'].url, 'GET', `/api/v1/returns/jobs/${job.body.id}`);
        expect(current.body).toMatchObject({ state: 'running', lastError: expect.stringContaining('does not answer this request') });
      }, 30_000);
    } finally {
      replayer.unsubscribe();
    }
  });
});
