import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { nanos } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, JsMsg, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { isDirectChild } from '@tdx/divisions';
import { EnvelopeError, JoinReply, openEnvelope, publicKeyFromBase64url, senderOfSubject, verifyEnvelope } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { LinkStateRepository } from './link-state.repository';
import { isRotationOf } from './key-rotation';
import { NatsHandles, NatsLink, sleep } from './nats-link';
import { OutboxRepository } from './outbox.repository';
import { OutboxSignal } from './outbox-signal';
import { RecordApplier } from './record-applier';
import { RequestLimits } from './request-limits';
import { ExchangeAudit } from '../audit/exchange-audit.service';
import { TrustListService } from './trust-list.service';

const MAX_BATCH = 500;

/**
 * The parent side: this node's inbound stream, the join responder, and one independent worker
 * per child link (its own durable consumer), so one slow or broken child never holds up another.
 */
@Injectable()
export class ChildLinksService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChildLinksService.name);
  private readonly workers = new Map<string, ChildLinkWorker>();
  private joinSubscription: Subscription | undefined;
  private stopped = false;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly nats: NatsLink,
    private readonly links: LinkStateRepository,
    private readonly outbox: OutboxRepository,
    private readonly applier: RecordApplier,
    private readonly signal: OutboxSignal,
    private readonly audit: ExchangeAudit,
    private readonly trust: TrustListService,
    private readonly requestLimits: RequestLimits,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.level === 'county') return;
    void this.start().catch((error) => this.logger.error(`child links failed to start: ${(error as Error).stack}`));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.joinSubscription?.unsubscribe();
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
  }

  /** Consumer backlog per child (messages in the stream not yet acknowledged), for status and metrics. */
  async pendingByChild(): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    if (!this.nats.isConnected()) return result;
    const { jsm, names } = await this.nats.ready();
    for (const child of this.workers.keys()) {
      try {
        const info = await jsm.consumers.info(names.upStream(this.config.code), names.childConsumer(child));
        result.set(child, info.num_pending + info.num_ack_pending);
      } catch {
        // Unknown while the consumer is being (re)created.
      }
    }
    return result;
  }

  /**
   * An operator approves a direct child's join: from now on its records are applied, its join goes
   * up to the ancestors, and (at the province) the next trust list names it.
   */
  async approve(code: string, by: string): Promise<void> {
    const handles = await this.nats.ready();
    await this.dataSource.transaction(async (manager) => {
      const joinEnvelope = await this.links.decide(manager, code, 'approved', by, null);
      if (joinEnvelope) {
        const { envelope, record } = openEnvelope(Buffer.from(joinEnvelope));
        await this.outbox.appendForward(manager, record.origin, record.kind, envelope);
      }
    });
    this.applier.setRefusedHere(code, false);
    this.signal.notify();
    this.trust.nodesChanged();
    await this.ensureConsumer(handles, code);
    this.startWorker(handles, code);
    this.logger.log(`join of ${code} approved by ${by}`);
  }

  /** Rejects a pending join, or revokes a node: nothing it signs is applied here from now on. */
  async refuse(code: string, status: 'rejected' | 'revoked', by: string, reason: string): Promise<void> {
    await this.dataSource.transaction((manager) => this.links.decide(manager, code, status, by, reason));
    await this.workers.get(code)?.stop();
    this.workers.delete(code);
    this.applier.setRefusedHere(code, true);
    this.trust.nodesChanged();
    this.logger.warn(`${code} ${status} by ${by}: ${reason}`);
  }

  private async start(): Promise<void> {
    const handles = await this.nats.ready();
    await retrying(() => this.ensureStream(handles), (e) => this.logger.warn(`cannot create inbound stream: ${e}`), () => this.stopped);
    this.joinSubscription = handles.nc.subscribe(handles.names.joinWildcard(this.config.code), {
      callback: (error, msg) => {
        if (!error) void this.answerJoin(handles, msg);
      },
    });
    for (const child of await this.links.directChildren(this.dataSource.manager)) this.startWorker(handles, child.code);
  }

  private async ensureStream({ jsm, names }: NatsHandles): Promise<void> {
    const name = names.upStream(this.config.code);
    try {
      await jsm.streams.info(name);
    } catch {
      await jsm.streams.add({
        name,
        subjects: [names.upWildcard(this.config.code)],
        // Each child has its own filtered consumer; acknowledged records leave the stream.
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        duplicate_window: nanos(120_000),
      });
    }
  }

  private async answerJoin(handles: NatsHandles, msg: Msg): Promise<void> {
    // Before any work and without an audit record, so that a flood costs next to nothing.
    const tooMany = this.requestLimits.refusal('join', senderOfSubject(msg.subject));
    if (tooMany) return void msg.respond(JSON.stringify({ ok: false, reason: tooMany } satisfies JoinReply));
    const reply = (answer: JoinReply): void => {
      msg.respond(JSON.stringify(answer));
      this.audit.joinAnswered(msg.data, answer);
    };
    try {
      const { envelope, record } = openEnvelope(msg.data);
      if (record.kind !== 'node.join') return reply({ ok: false, reason: 'not a join record' });
      // The subject names the sender and NATS lets a node send only as itself (issue 4): a join
      // signed by another node than the subject names is refused.
      const sender = senderOfSubject(msg.subject);
      if (record.origin !== sender) return reply({ ok: false, reason: `the join is sent as ${sender} but signed as ${record.origin}` });
      const body = record.body;
      if (body.code !== record.origin || body.parent !== this.config.code || !isDirectChild(body.code, this.config.code)) {
        return reply({ ok: false, reason: `${body.code} is not a direct child of ${this.config.code} (Article 9)` });
      }
      if (!verifyEnvelope(envelope, publicKeyFromBase64url(body.publicKey))) {
        return reply({ ok: false, reason: 'join signature does not verify' });
      }
      const auto = this.config.identity.joinApproval === 'auto';
      let rotated = false;
      const refusal = await this.dataSource.transaction(async (manager): Promise<JoinReply | undefined> => {
        const known = await this.links.knownNode(manager, body.code);
        if (known && known.publicKey !== body.publicKey && isRotationOf(known, body)) {
          // A rotation: the join is signed with the new key and carries the old key's hand-over.
          await this.links.rotateKey(manager, body.code, body.publicKey);
          await this.outbox.appendForward(manager, record.origin, record.kind, envelope);
          rotated = true;
          return undefined;
        }
        if (known && known.publicKey !== body.publicKey) {
          // Otherwise a new key is considered only for a node whose old key an operator revoked (or whose join was rejected).
          if (known.status !== 'revoked' && known.status !== 'rejected') {
            return { ok: false, reason: `a different key is recorded for ${body.code}; revoke it first to replace the key` };
          }
          await this.links.replaceKey(manager, body, Buffer.from(msg.data).toString('utf8'));
          return { ok: false, pending: true, reason: `${body.code} presents a new key; it waits for an operator at ${this.config.code} to approve it` };
        }
        if (!known) {
          await this.links.addKnownNode(manager, body, body.code, auto ? 'approved' : 'pending', auto ? undefined : Buffer.from(msg.data).toString('utf8'));
          if (auto) await this.outbox.appendForward(manager, record.origin, record.kind, envelope);
        }
        const status = known?.status ?? (auto ? 'approved' : 'pending');
        if (status === 'pending') {
          return { ok: false, pending: true, reason: `${body.code} waits for an operator at ${this.config.code} to approve its join` };
        }
        if (status !== 'approved') return { ok: false, reason: `${body.code} was ${status} at ${this.config.code}${known?.reason ? `: ${known.reason}` : ''}` };
        return undefined;
      });
      if (refusal) {
        if (!refusal.ok && !refusal.pending) this.logger.warn(`refused join of ${body.code}: ${refusal.reason}`);
        if (!refusal.ok && refusal.pending) this.logger.log(`join of ${body.code} waits for approval (POST /api/v1/federation/nodes/${body.code}/approve)`);
        return reply(refusal);
      }
      if (auto || rotated) this.trust.nodesChanged();
      if (rotated) this.logger.log(`${body.code} rotated its key`);
      this.signal.notify();
      await this.ensureConsumer(handles, body.code);
      this.startWorker(handles, body.code);
      // Issue 3: the child also learns the keys of this node's ancestors, to verify data they return to it.
      const ancestors = await this.links.ancestorKeys(this.dataSource.manager);
      reply({ ok: true, parent: { code: this.config.code, name: this.config.name, publicKey: this.config.signingKey.publicKey }, ancestors });
    } catch (error) {
      const reason = error instanceof EnvelopeError ? error.reason : 'the parent could not record the join; try again';
      if (!(error instanceof EnvelopeError)) this.logger.warn(`join failed: ${(error as Error).message}`);
      reply({ ok: false, reason });
    }
  }

  private async ensureConsumer({ jsm, names }: NatsHandles, child: string): Promise<void> {
    const stream = names.upStream(this.config.code);
    const durable = names.childConsumer(child);
    try {
      await jsm.consumers.info(stream, durable);
    } catch {
      await jsm.consumers.add(stream, {
        durable_name: durable,
        filter_subject: names.up(this.config.code, child),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        // Short enough that records a crashed node held unacknowledged come back soon after its restart.
        ack_wait: nanos(10_000),
        max_ack_pending: 4000,
      });
    }
  }

  private startWorker(handles: NatsHandles, child: string): void {
    if (this.workers.has(child) || this.stopped) return;
    const worker = new ChildLinkWorker(child, this.config.code, handles, this.applier, (h) => this.ensureConsumer(h, child), this.logger);
    this.workers.set(child, worker);
    worker.start();
  }
}

/** Pulls one child's records and applies them in batches of whatever has arrived, up to MAX_BATCH. */
class ChildLinkWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private closeCurrent: (() => Promise<unknown>) | undefined;

  constructor(
    private readonly child: string,
    private readonly self: string,
    private readonly handles: NatsHandles,
    private readonly applier: RecordApplier,
    private readonly ensureConsumer: (handles: NatsHandles) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.closeCurrent?.().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (this.running) {
      try {
        await this.ensureConsumer(this.handles);
        const consumer = await this.handles.js.consumers.get(this.handles.names.upStream(this.self), this.handles.names.childConsumer(this.child));
        const messages = await consumer.consume({ max_messages: 1000 });
        this.closeCurrent = () => messages.close();
        backoff = 250;
        await this.drain(messages);
      } catch (error) {
        if (!this.running) return;
        this.logger.warn(`link from ${this.child}: ${(error as Error).message}; resuming in ${backoff} ms`);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  /** Feeds arriving messages into batches: one transaction applies all that waited while the last one ran. */
  private async drain(messages: AsyncIterable<JsMsg>): Promise<void> {
    const queue: JsMsg[] = [];
    let notify: (() => void) | undefined;
    let ended = false;
    const pump = (async () => {
      try {
        for await (const message of messages) {
          queue.push(message);
          notify?.();
        }
      } finally {
        ended = true;
        notify?.();
      }
    })();
    while (this.running) {
      if (queue.length === 0) {
        if (ended) break;
        await new Promise<void>((resolve) => (notify = resolve));
        notify = undefined;
        continue;
      }
      const batch = queue.splice(0, MAX_BATCH);
      try {
        await this.applier.applyBatch(this.child, batch);
      } catch {
        // The batch was nak'ed and will be redelivered; wait a little for the database.
        await sleep(1000);
      }
    }
    await pump.catch(() => undefined);
  }
}

async function retrying(action: () => Promise<void>, onError: (message: string) => void, stopped: () => boolean): Promise<void> {
  let backoff = 250;
  while (!stopped()) {
    try {
      return await action();
    } catch (error) {
      onError((error as Error).message);
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 10_000);
    }
  }
}
