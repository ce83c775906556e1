import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { connect, headers as natsHeaders, Msg, NatsConnection } from '@nats-io/transport-node';
import {
  CHANNEL_SIG_HEADER,
  ChannelMessage,
  generateSigningKey,
  newChannelNonce,
  openChannelMessage,
  sealChannelMessage,
  SigningKey,
  signingKeyFromPem,
  subjectsFor,
} from '@tdx/contracts';
import { api, eventually, SHARED_NATS_URL, testNamespace } from '@tdx/testing';
import { Channel, ChannelCall, DurableCall, RefusedDelivery } from '../src/channel/channel';
import { DomainRefusal } from '../src/common/domain-refusal';
import { inProcessFederation } from './support/nodes';
import { awaitTrustLists } from './support/replication';

const TIMEOUT_MS = 1500;

/**
 * The one channel of Article 10 between nodes on different branches of the tree: Xihu (a county
 * of Hangzhou) and Ningbo, through the province's trust list, on one NATS server. The handlers
 * here are the test's own, registered on the nodes' Channel; the features' kinds have specs of their own.
 */
describe('the channel between any two nodes of the federation', () => {
  const namespace = testNamespace();
  const names = subjectsFor(namespace);
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-channel-'));
  const federation = inProcessFederation(namespace, 'channel', keyDir);
  const env = { CHANNEL_TIMEOUT_MS: String(TIMEOUT_MS) };
  const calls: { node: string; kind: string; call: ChannelCall }[] = [];
  const applied: { node: string; call: DurableCall }[] = [];
  const vetoed: RefusedDelivery[] = [];
  let nc: NatsConnection;
  let xihuKey: SigningKey;

  const url = (code: string) => federation.running.get(code)!.url;
  const appOf = (code: string) => (federation.running.get(code) as unknown as { app: INestApplication }).app;
  const channelOf = (code: string) => appOf(code).get(Channel);

  /** The test's own kinds, on one node: an echo, a refusal by a rule, and a durable note. */
  function teach(code: string): void {
    const channel = channelOf(code);
    channel.answer('test.echo', async (call) => {
      calls.push({ node: code, kind: 'test.echo', call });
      return { echoed: call.body, by: code };
    });
    channel.answer('test.refuse', async () => {
      throw DomainRefusal.refused([{ rule: 'share-type-none', article: 'Article 10', message: 'this resource is not shared' }], { permanent: true });
    });
    channel.receive('test.note', async (manager, call) => {
      await manager.query('SELECT 1');
      applied.push({ node: code, call });
    });
    channel.receive('test.veto', async () => {
      throw DomainRefusal.refused([{ rule: 'entry-retired', article: 'Article 10', message: 'the entry was retired' }], { permanent: true });
    });
    channel.refused('test.veto', async (manager, delivery) => {
      await manager.query('SELECT 1');
      vetoed.push(delivery);
    });
  }

  async function start(code: string, parent?: string): Promise<void> {
    await federation.start(code, parent, env);
    teach(code);
  }

  beforeAll(async () => {
    await start('330000');
    await start('330100', '330000');
    await start('330200', '330000');
    await start('330106', '330100');
    await awaitTrustLists(['330000', '330100', '330200', '330106'].map(url), ['330000', '330100', '330200', '330106']);
    xihuKey = signingKeyFromPem(readFileSync(join(keyDir, '330106.pem'), 'utf8'));
    nc = await connect({ servers: SHARED_NATS_URL });
  });

  afterAll(async () => {
    await nc?.close();
    for (const node of federation.running.values()) await node.stop().catch(() => undefined);
    for (const db of federation.databases.values()) await db.drop();
  });

  it('carries a question from a county of Hangzhou to Ningbo and its answer back, signed both ways', async () => {
    const answer = await channelOf('330106').ask<{ echoed: unknown; by: string }>('330200', 'test.echo', { q: '企业登记' });
    expect(answer).toEqual({ echoed: { q: '企业登记' }, by: '330200' });
    expect(calls.filter((c) => c.node === '330200').map((c) => c.call.from)).toEqual(['330106']);
    const ping = await api(url('330106'), 'GET', '/api/v1/federation/channel/330200/ping');
    expect(ping.status).toBe(200);
    expect(ping.body.node).toBe('330200');
    expect(typeof ping.body.roundTripMs).toBe('number');
  });

  it("brings the far end's refusal back as the same refusal, with its rule", async () => {
    const refused = await channelOf('330106')
      .ask('330200', 'test.refuse', {})
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainRefusal);
    expect(refused).toMatchObject({ kind: 'refused', rule: 'share-type-none', article: 'Article 10', permanent: true });
    const unknownKind = await channelOf('330106')
      .ask('330200', 'test.nothing', {})
      .catch((e: unknown) => e);
    expect(unknownKind).toMatchObject({ kind: 'invalid', message: expect.stringContaining('answers no test.nothing') });
  });

  it('refuses a node the trust list does not name, and a malformed node code over HTTP, with 4xx', async () => {
    const stranger = await channelOf('330106')
      .ask('330212', 'test.echo', {})
      .catch((e: unknown) => e);
    expect(stranger).toBeInstanceOf(DomainRefusal);
    expect(stranger).toMatchObject({ kind: 'not-found', message: expect.stringContaining('330212') });
    expect((await api(url('330106'), 'GET', '/api/v1/federation/channel/33x/ping')).status).toBe(400);
  });

  describe('crafted messages published straight on NATS', () => {
    const answersToXihu: ChannelMessage[] = [];
    let echoesBefore: number;

    beforeAll(async () => {
      nc.subscribe(names.channel('330106', '330200'), { callback: (_e, msg: Msg) => void answersToXihu.push(openChannelMessage(msg.data)) });
      await nc.flush();
    });

    beforeEach(() => {
      echoesBefore = calls.filter((c) => c.node === '330200').length;
    });

    function craft(header: Partial<ChannelMessage> = {}, key: SigningKey = xihuKey): { data: Buffer; sig: string; nonce: string } {
      const nonce = newChannelNonce();
      const message: ChannelMessage = { v: 1, kind: 'test.echo', from: '330106', to: '330200', at: new Date().toISOString(), nonce, body: {}, ...header };
      return { ...sealChannelMessage(message, key), nonce };
    }

    function publish(sealed: { data: Uint8Array; sig: string }, subject = names.channel('330200', '330106')): void {
      const h = natsHeaders();
      h.set(CHANNEL_SIG_HEADER, sealed.sig);
      nc.publish(subject, sealed.data, { headers: h });
    }

    async function rejectedCount(): Promise<number> {
      const text = String((await api(url('330200'), 'GET', '/metrics')).body);
      return [...text.matchAll(/^tdx_channel_messages_rejected_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    }

    it('runs no handler for a forged signature, another sender than the subject names, another addressee, or garbage', async () => {
      const before = await rejectedCount();
      publish(craft({}, generateSigningKey()));
      publish(craft({ from: '330100' }));
      publish(craft({ to: '330000' }));
      publish({ data: Buffer.from('{"v":1,'), sig: 'x' });
      publish({ data: Buffer.from(JSON.stringify({ v: 1, kind: 'test.echo' })), sig: 'x' });
      // Signed by Xihu but published on Hangzhou's subject: NATS permissions would stop it; the node does too.
      publish(craft(), names.channel('330200', '330100'));
      await eventually(async () => expect(await rejectedCount()).toBe(before + 6));
      expect(calls.filter((c) => c.node === '330200')).toHaveLength(echoesBefore);
    });

    it('answers a genuine message once; the same message again is a replay, refused; a stale one is refused with why', async () => {
      const genuine = craft({ body: { n: 1 } });
      publish(genuine);
      publish(genuine);
      await eventually(() => expect(answersToXihu.filter((a) => a.re === genuine.nonce)).toHaveLength(1));
      expect(answersToXihu.find((a) => a.re === genuine.nonce)?.body).toEqual({ ok: true, value: { echoed: { n: 1 }, by: '330200' } });
      const stale = craft({ at: new Date(Date.now() - 10 * 60_000).toISOString() });
      publish(stale);
      await eventually(() => expect(answersToXihu.find((a) => a.re === stale.nonce)).toBeDefined());
      expect(answersToXihu.find((a) => a.re === stale.nonce)?.body).toMatchObject({
        ok: false,
        refusal: { kind: 'forbidden', message: expect.stringContaining('clock') },
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(calls.filter((c) => c.node === '330200')).toHaveLength(echoesBefore + 1);
    });

    it('drops a message larger than the channel carries', async () => {
      const before = await rejectedCount();
      publish(craft({ body: { blob: 'x'.repeat(950 * 1024) } }));
      await eventually(async () => expect(await rejectedCount()).toBe(before + 1));
      expect(calls.filter((c) => c.node === '330200')).toHaveLength(echoesBefore);
    });
  });

  describe('durable messages', () => {
    it('are delivered once, in order, to a node that was down when they were written', async () => {
      await federation.running.get('330200')!.stop();
      const xihu = federation.databases.get('330106')!;
      const ids: string[] = [];
      const channel = channelOf('330106');
      for (const n of [1, 2, 3]) {
        ids.push(
          await appOf('330106')
            .get(DataSource)
            .transaction((manager) => channel.enqueue(manager, '330200', 'test.note', { n })),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 2 * TIMEOUT_MS));
      expect(applied.filter((a) => a.node === '330200')).toHaveLength(0);
      await start('330200', '330000');
      await eventually(() => expect(applied.filter((a) => a.node === '330200').map((a) => a.call.body)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]), 60_000);
      expect(applied.filter((a) => a.node === '330200').map((a) => a.call.id)).toEqual(ids);
      await eventually(async () => expect(await xihu.query(`SELECT count(*)::int AS n FROM channel_outbox WHERE delivered_at IS NULL`)).toEqual([{ n: 0 }]));
    });
    it('ends the delivery of one its receiver refuses for good, and tells the sending feature why', async () => {
      const xihu = federation.databases.get('330106')!;
      const id = await appOf('330106')
        .get(DataSource)
        .transaction((manager) => channelOf('330106').enqueue(manager, '330200', 'test.veto', { entry: 'retired' }));
      await eventually(() => expect(vetoed.map((v) => v.id)).toEqual([id]));
      expect(vetoed[0]).toMatchObject({
        to: '330200',
        kind: 'test.veto',
        body: { entry: 'retired' },
        refusal: { kind: 'refused', rule: 'entry-retired', permanent: true },
      });
      const [row] = await xihu.query<{ delivered: boolean; refused: boolean }>(
        `SELECT delivered_at IS NOT NULL AS delivered, refused_at IS NOT NULL AS refused FROM channel_outbox WHERE id = $1`,
        [id],
      );
      expect(row).toEqual({ delivered: false, refused: true });
    });
  });

  it('answers 503 naming the node when it cannot be reached, within the timeout', async () => {
    await federation.running.get('330200')!.stop();
    const started = Date.now();
    const ping = await api(url('330106'), 'GET', '/api/v1/federation/channel/330200/ping');
    expect(ping.status).toBe(503);
    expect(ping.body.message).toContain('330200');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
  });
});
