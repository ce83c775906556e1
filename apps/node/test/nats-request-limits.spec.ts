import { randomUUID } from 'node:crypto';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { generateSigningKey, newReturnNonce, openReturnMessage, ReturnErrorBody, sealReturnMessage, subjectsFor } from '@tdx/contracts';
import { api, createTestDatabase, deleteNamespaceStreams, eventually, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';

const LIMIT = 5;

/**
 * Anyone on the bus floods a node's core-NATS responders (join, return, trust list) under one
 * sender's name: past the per-sender budget each request gets a short "too many requests" refusal,
 * counted in the metrics, while other senders are still answered.
 */
describe('per-sender limits on core-NATS requests', () => {
  const namespace = testNamespace();
  const names = subjectsFor(namespace);
  let db: TestDatabase;
  let province: RunningNode;
  const connections: NatsConnection[] = [];

  /** A bare client that asks to be answered on `node`'s inbox, as that node would. */
  async function clientOf(node: string): Promise<NatsConnection> {
    const nc = await connect({ servers: SHARED_NATS_URL, inboxPrefix: names.inboxPrefix(node) });
    connections.push(nc);
    return nc;
  }

  beforeAll(async () => {
    db = await createTestDatabase('request_limits');
    province = await startInProcessNode({
      code: '330000',
      databaseUrl: db.url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
      env: { NATS_REQUEST_RATE_LIMIT: String(LIMIT), NATS_REQUEST_RATE_WINDOW_SECONDS: '3600' },
    });
    // The join responder subscribes once the inbound stream exists, a moment after the node listens:
    // wait until it answers, asking as a sender the tests do not use (each sender has its own budget).
    const probe = await clientOf('330300');
    await eventually(async () => expect((await probe.request(names.join('330000', '330300'), '{}', { timeout: 2000 })).string()).toContain('ok'));
  });

  afterAll(async () => {
    for (const nc of connections) await nc.close().catch(() => undefined);
    await province?.stop().catch(() => undefined);
    await db?.drop().catch(() => undefined);
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  /** The text of `count` answers to requests on `subject`, asked one after another. */
  async function flood(nc: NatsConnection, subject: string, data: () => Uint8Array | string, count: number): Promise<string[]> {
    const answers: string[] = [];
    for (let i = 0; i < count; i++) answers.push((await nc.request(subject, data(), { timeout: 10_000 })).string());
    return answers;
  }

  const tooMany = (sender: string) => new RegExp(`too many requests from ${sender}; try again in \\d+ s`);

  it('refuses joins beyond the budget of one sender, and still answers another', async () => {
    const nc = await clientOf('330100');
    const answers = await flood(nc, names.join('330000', '330100'), () => '{}', LIMIT + 3);
    for (const answer of answers.slice(0, LIMIT)) expect(answer).not.toMatch(/too many requests/);
    for (const answer of answers.slice(LIMIT)) expect(JSON.parse(answer)).toEqual({ ok: false, reason: expect.stringMatching(tooMany('330100')) });
    const other = await flood(nc, names.join('330000', '330200'), () => '{}', 1);
    expect(other[0]).not.toMatch(/too many requests/);
  });

  it('refuses return messages beyond the budget with a signed refusal (unavailable: try again), and trust-list copies beyond it too', async () => {
    const key = generateSigningKey();
    const status = () =>
      sealReturnMessage(
        { v: 1, kind: 'return.status', from: '330100', to: '330000', at: new Date().toISOString(), nonce: newReturnNonce(), body: { id: randomUUID() } },
        key,
      ).data;
    const nc = await clientOf('330100');
    const answers = (await flood(nc, names.return('330000', '330100'), status, LIMIT + 2)).map((text) => openReturnMessage(Buffer.from(text)).message);
    for (const answer of answers.slice(0, LIMIT)) expect((answer.body as ReturnErrorBody).message).not.toMatch(/too many requests/);
    for (const answer of answers.slice(LIMIT)) {
      expect(answer).toMatchObject({
        kind: 'return.error',
        from: '330000',
        to: '330100',
        body: { kind: 'unavailable', message: expect.stringMatching(tooMany('330100')), permanent: false },
      });
    }

    const trustAnswers = await flood(nc, names.trust('330000'), () => '', LIMIT + 2);
    for (const answer of trustAnswers.slice(0, LIMIT)) expect(answer).not.toMatch(/too many requests/);
    for (const answer of trustAnswers.slice(LIMIT)) expect(JSON.parse(answer)).toEqual({ error: expect.stringMatching(tooMany('330100')) });
    const otherNode = await clientOf('330200');
    expect((await flood(otherNode, names.trust('330000'), () => '', 1))[0]).not.toMatch(/too many requests/);

    const metrics = await api(province.url, 'GET', '/metrics');
    expect(metrics.body).toContain('tdx_nats_requests_refused_total{responder="join",node="330000"} 3');
    expect(metrics.body).toContain('tdx_nats_requests_refused_total{responder="return",node="330000"} 2');
    expect(metrics.body).toContain('tdx_nats_requests_refused_total{responder="trust-list",node="330000"} 2');
  });
});
