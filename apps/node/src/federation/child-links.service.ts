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
import { LeaseTerm, WorkerLeases } from '../leases/worker-leases';
import { Wakeup } from '../common/wakeup';

const MAX_BATCH = 500;

/** The lease of one child link's worker: one replica of this node applies a child's records at a time, in stream order. */
export function childLinkLease(child: string): string {
  return `child-link:${child}`;
}

/**
 * The parent side: this node's inbound stream, the join responder, and one independent worker
 * per child link (its own durable consumer), so one slow or broken child never holds up another.
 * Every replica of this node keeps a worker per child, and each child's lease decides which one
 * applies; the set of children is read again from the database every lease period, so a child
 * admitted or revoked through another replica is picked up here too.
 */
@Injectable()
export class ChildLinksService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChildLinksService.name);
  private readonly workers = new Map<string, ChildLinkWorker>();
  private joinSubscription: Subscription | undefined;
  private stopped = false;
  private reconciler: NodeJS.Timeout | undefined;

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
    private readonly leases: WorkerLeases,
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
    clearInterval(this.reconciler);
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
    // A queue group: of several replicas of this node, one answers each join.
    this.joinSubscription = handles.nc.subscribe(handles.names.joinWildcard(this.config.code), {
      queue: handles.names.replicaGroup(this.config.code),
      callback: (error, msg) => {
        if (!error) void this.answerJoin(handles, msg);
      },
    });
    await this.reconcile(handles);
    this.reconciler = setInterval(
      () => void this.reconcile(handles).catch((error) => this.logger.warn(`reading the child links: ${(error as Error).message}`)),
      this.config.highAvailability.workerLeaseSeconds * 1000,
    );
    this.reconciler.unref();
  }

  /** A worker for every approved direct child, none for others, and the revoked codes afresh: decisions taken through another replica count here too. */
  private async reconcile(handles: NatsHandles): Promise<void> {
    await this.admission.reloadRevoked();
    const children = new Set((await this.registry.directChildren(this.dataSource.manager)).map((c) => c.code));
    for (const child of children) this.startWorker(handles, child);
    // Only a revocation stops a worker: a child admitted a moment ago may not be in the list read above yet.
    for (const child of this.workers.keys()) if (this.admission.isRefusedHere(child)) await this.stopChild(child);
  }

  /**
   * The inbound stream, with NATS_STREAM_REPLICAS copies (3 on a 3-server cluster: it survives the
   * loss of one server). A stream made earlier with another number of copies is changed to it
   * where the node may (JetStream moves a stream between R1 and R3 in place, keeping its messages).
   */
  private async ensureStream({ jsm, names }: NatsHandles): Promise<void> {
    const name = names.upStream(this.config.code);
    const replicas = this.config.highAvailability.natsStreamReplicas;
    let existing: Awaited<ReturnType<typeof jsm.streams.info>> | undefined;
    try {
      existing = await jsm.streams.info(name);
    } catch {
      existing = undefined;
    }
    if (!existing) {
      await jsm.streams.add({
        name,
        subjects: [names.upWildcard(this.config.code)],
        // Each child has its own filtered consumer; acknowledged records leave the stream.
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        duplicate_window: nanos(120_000),
        num_replicas: replicas,
      });
    } else if (existing.config.num_replicas !== replicas) {
      // Not fatal: the node's NATS user may lack the right to change streams (deploy/nats), and the
      // stream works as it is; the operator changes it with `nats stream edit --replicas`.
      try {
        await jsm.streams.update(name, { ...existing.config, num_replicas: replicas });
        this.logger.log(`stream ${name}: ${existing.config.num_replicas} copies -> ${replicas} (NATS_STREAM_REPLICAS)`);
      } catch (error) {
        this.logger.warn(
          `stream ${name} keeps ${existing.config.num_replicas} copies, not ${replicas} (NATS_STREAM_REPLICAS): ${(error as Error).message}; change it with nats stream edit ${name} --replicas ${replicas}`,
        );
      }
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
    const worker = new ChildLinkWorker(child, this.config.code, handles, this.applier, (h) => this.ensureConsumer(h, child), this.logger, this.leases);
    this.workers.set(child, worker);
    worker.start();
  }
}

/** While this replica holds the link's lease, pulls one child's records and applies them in batches of whatever has arrived, up to MAX_BATCH. */
class ChildLinkWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private closeCurrent: (() => Promise<unknown>) | undefined;
  private readonly wakeup = new Wakeup();

  constructor(
    private readonly child: string,
    private readonly self: string,
    private readonly handles: NatsHandles,
    private readonly applier: RecordApplier,
    private readonly ensureConsumer: (handles: NatsHandles) => Promise<void>,
    private readonly logger: Logger,
    private readonly leases: WorkerLeases,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.leases.runWhileHeld(
      childLinkLease(this.child),
      () => this.running,
      (term) => this.run(term),
      this.wakeup,
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeup.signal();
    await this.closeCurrent?.().catch(() => undefined);
    await this.loop;
  }

  /**
   * Consumes while the term lasts. When it ends the consumer is closed: what this replica pulled and
   * did not apply is redelivered (after the consumer's ack wait) to the replica that takes over.
   */
  private async run(term: LeaseTerm): Promise<void> {
    const holding = () => this.running && term.held;
    term.onEnd(() => void this.closeCurrent?.().catch(() => undefined));
    while (holding()) {
      const messages = await retryWithBackoff(
        async () => {
          await this.ensureConsumer(this.handles);
          const consumer = await this.handles.js.consumers.get(this.handles.names.upStream(this.self), this.handles.names.childConsumer(this.child));
          return consumer.consume({ max_messages: 1000 });
        },
        {
          maxMs: 10_000,
          running: holding,
          onError: (error, delay) => this.logger.warn(`link from ${this.child}: ${error.message}; resuming in ${delay} ms`),
        },
      );
      if (!messages) return;
      this.closeCurrent = () => messages.close();
      // Ended while the consumer was being made: close it at once.
      if (!holding()) await messages.close().catch(() => undefined);
      await this.drain(messages, term);
    }
  }

  /** Feeds arriving messages into batches: one transaction applies all that waited while the last one ran. */
  private async drain(messages: AsyncIterable<JsMsg>, term: LeaseTerm): Promise<void> {
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
    while (this.running && term.held) {
      if (queue.length === 0) {
        if (ended) break;
        await new Promise<void>((resolve) => (notify = resolve));
        notify = undefined;
        continue;
      }
      const batch = queue.splice(0, MAX_BATCH);
      try {
        await this.applier.applyBatch(this.child, batch, (manager) => term.fence(manager));
      } catch {
        // The batch was nak'ed and will be redelivered; wait a little for the database.
        await sleep(1000);
      }
    }
    // Stopped, or the term ran out. The term may only have lapsed (its renewal came late, say after
    // a long pause of the process) without ending, and then nothing else closes the consumer: close
    // it here, or the pump would go on filling a queue nobody reads and the link would stall for good.
    await this.closeCurrent?.().catch(() => undefined);
    await pump.catch(() => undefined);
    // Records pulled and not applied: handed back now rather than after the ack wait.
    queue.splice(0).forEach((message) => message.nak());
  }
}
