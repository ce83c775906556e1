import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { nanos } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, JsMsg, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import {
  EnvelopeError,
  JoinReply,
  keyFingerprint,
  openEnvelope,
  publicKeyFromBase64url,
  senderOfSubject,
  signJoinAnswer,
  verifyEnvelope,
} from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { NatsHandles, NatsLink } from '../core/nats-link';
import { retryWithBackoff } from '../common/backoff';
import { sleep } from '../common/sleep';
import { RecordApplier } from './record-applier';
import { RequestLimits } from '../core/nats-request-limits';
import { ExchangeAudit } from '../audit/exchange-audit.service';
import { joinAnswered } from './link-audit';
import { NodeAdmissionService } from '../identity/node-admission.service';
import { NodeRegistryRepository } from '../identity/node-registry.repository';
import { LinkStateRepository } from './link-state.repository';
import { joinRequestProblem } from '../identity/identity-checks';

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
    private readonly registry: NodeRegistryRepository,
    private readonly links: LinkStateRepository,
    private readonly admission: NodeAdmissionService,
    private readonly applier: RecordApplier,
    private readonly audit: ExchangeAudit,
    private readonly requestLimits: RequestLimits,
  ) {
    // An operator's decision at this node starts or stops the child's worker.
    admission.onChange(async ({ code, admitted, direct }) => {
      if (!admitted) await this.stopChild(code);
      else if (direct) await this.startChild(code);
    });
  }

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

  /** A direct child was admitted (an operator approved it): apply its records from now on. */
  async startChild(code: string): Promise<void> {
    const handles = await this.nats.ready();
    await this.ensureConsumer(handles, code);
    this.startWorker(handles, code);
  }

  /** A node was revoked: stop applying its records (its messages wait in the stream, and are refused if they come). */
  async stopChild(code: string): Promise<void> {
    await this.workers.get(code)?.stop();
    this.workers.delete(code);
  }

  private async start(): Promise<void> {
    const handles = await this.nats.ready();
    await retryWithBackoff(() => this.ensureStream(handles), {
      maxMs: 10_000,
      running: () => !this.stopped,
      onError: (error) => this.logger.warn(`cannot create inbound stream: ${error.message}`),
    });
    this.joinSubscription = handles.nc.subscribe(handles.names.joinWildcard(this.config.code), {
      callback: (error, msg) => {
        if (!error) void this.answerJoin(handles, msg);
      },
    });
    for (const child of await this.registry.directChildren(this.dataSource.manager)) this.startWorker(handles, child.code);
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

  /**
   * A child's join: signed by the key it presents, sent as itself, for a direct child, fresh. The
   * decision is the admission policy's; the answer is signed by this node and echoes the join's
   * nonce, so the child can tell it is this node's answer to this join.
   */
  private async answerJoin(handles: NatsHandles, msg: Msg): Promise<void> {
    let child = senderOfSubject(msg.subject);
    let nonce = '';
    // Before any work and without an audit record, so that a flood costs next to nothing. Unsigned: the
    // child acts on no such answer and simply asks again later.
    const tooMany = this.requestLimits.refusal('join', child);
    if (tooMany) return void msg.respond(JSON.stringify({ ok: false, reason: tooMany } satisfies JoinReply));
    const reply = (answer: JoinReply): void => {
      msg.respond(JSON.stringify(signJoinAnswer(this.config.code, child, nonce, answer, this.config.signingKey)));
      this.audit.detach(joinAnswered(this.config.code, msg.data, answer));
    };
    try {
      const { envelope, record } = openEnvelope(msg.data);
      if (record.kind !== 'node.join') return reply({ ok: false, reason: 'not a join record' });
      const body = record.body;
      nonce = typeof body.nonce === 'string' ? body.nonce.slice(0, 64) : '';
      // The subject names the sender and NATS lets a node send only as itself: a join signed by another node than the subject names is refused.
      if (record.origin !== child) return reply({ ok: false, reason: `the join is sent as ${child} but signed as ${record.origin}` });
      const problem = joinRequestProblem(body, record.origin, this.config.code, record.at);
      if (problem) return reply({ ok: false, reason: problem });
      if (!verifyEnvelope(envelope, publicKeyFromBase64url(body.publicKey))) return reply({ ok: false, reason: 'join signature does not verify' });
      child = body.code;
      const decision = await this.admission.decideJoin(body, Buffer.from(msg.data).toString('utf8'), msg.subject);
      if (!decision.reply.ok) {
        if (decision.reply.pending) this.logger.log(`${decision.reply.reason} (GET /api/v1/federation/nodes?status=pending)`);
        else this.logger.warn(`refused join of ${body.code}: ${decision.reply.reason}`);
        return reply(decision.reply);
      }
      if (decision.changed) this.logger.log(`${body.code} admitted (key ${keyFingerprint(body.publicKey)})`);
      await this.ensureConsumer(handles, body.code);
      await this.links.sawChild(this.dataSource.manager, body.code);
      this.startWorker(handles, body.code);
      reply(decision.reply);
    } catch (error) {
      const reason = error instanceof EnvelopeError ? error.reason : 'the parent could not record the join; try again';
      if (!(error instanceof EnvelopeError)) this.logger.warn(`join failed: ${(error as Error).message}`);
      reply({ ok: false, reason });
    }
  }

  /** The child's link row and its durable consumer, made if missing (idempotent: every worker start calls it). */
  private async ensureConsumer({ jsm, names }: NatsHandles, child: string): Promise<void> {
    await this.links.ensureChildLink(this.dataSource.manager, child);
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
    while (this.running) {
      const messages = await retryWithBackoff(
        async () => {
          await this.ensureConsumer(this.handles);
          const consumer = await this.handles.js.consumers.get(this.handles.names.upStream(this.self), this.handles.names.childConsumer(this.child));
          return consumer.consume({ max_messages: 1000 });
        },
        {
          maxMs: 10_000,
          running: () => this.running,
          onError: (error, delay) => this.logger.warn(`link from ${this.child}: ${error.message}; resuming in ${delay} ms`),
        },
      );
      if (!messages) return;
      this.closeCurrent = () => messages.close();
      await this.drain(messages);
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
