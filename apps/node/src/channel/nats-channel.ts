import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, Msg, Subscription } from '@nats-io/transport-node';
import { isDivisionCode } from '@tdx/divisions';
import {
  CHANNEL_ANSWER,
  CHANNEL_KIND,
  CHANNEL_MAX_AGE_MS,
  CHANNEL_MAX_BYTES,
  CHANNEL_SIG_HEADER,
  ChannelAnswer,
  ChannelMessage,
  ChannelMessageError,
  newChannelNonce,
  openChannelMessage,
  sealChannelMessage,
  senderOfSubject,
  verifyChannelMessage,
} from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { NatsLink } from '../core/nats-link';
import { RequestLimits } from '../core/nats-request-limits';
import { TrustListService } from '../identity/trust-list.service';
import { ReplayGuard } from '../common/replay-guard';
import { DomainRefusal } from '../common/domain-refusal';
import { Channel, ChannelCall, ChannelUnreachable, DurableCall, RefusedDelivery } from './channel';
import { fromChannelRefusal, toChannelRefusal } from './channel-refusal';
import { ChannelOutboxRepository } from './channel-outbox.repository';
import { ChannelMetrics } from './channel-metrics';

type Answerer = (call: ChannelCall) => Promise<unknown>;
type Receiver = (manager: EntityManager, call: DurableCall) => Promise<void>;
type RefusalHearer = (manager: EntityManager, delivery: RefusedDelivery) => Promise<void>;

interface PendingAsk {
  to: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const DROP_LOG_MS = 10_000;
/** Nonces remembered per sending node within CHANNEL_MAX_AGE_MS (about 100 bytes each). */
const NONCES_PER_NODE = 200_000;

/**
 * The channel over core NATS (docs/protocol.md, "The channel"). Every message is signed by this
 * node; every message received is checked in this order before any handler runs: size and schema,
 * addressed here, sent as the node that signed it (the subject's last token, which NATS permissions
 * bind to the connection), that node's key in the trust list, the signature, then freshness and
 * the nonce. What fails before the signature is verified is dropped and counted, never answered:
 * answering would let anyone make this node publish.
 */
@Injectable()
export class NatsChannel extends Channel implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Channel');
  private readonly answerers = new Map<string, Answerer>();
  private readonly receivers = new Map<string, Receiver>();
  private readonly refusalHearers = new Map<string, RefusalHearer>();
  private readonly pending = new Map<string, PendingAsk>();
  private readonly replays = new ReplayGuard(CHANNEL_MAX_AGE_MS, NONCES_PER_NODE);
  private readonly droppedLoggedAt = new Map<string, number>();
  private readonly enqueueListeners: (() => void)[] = [];
  private readonly subscriptions = new Map<string, Subscription>();
  private stopped = false;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly nats: NatsLink,
    private readonly trust: TrustListService,
    private readonly limits: RequestLimits,
    private readonly outbox: ChannelOutboxRepository,
    private readonly metrics: ChannelMetrics,
  ) {
    super();
    this.answer('channel.ping', async () => ({ node: this.config.code }));
  }

  /**
   * One subscription per sending node of the trust list (`channel.<self>.<sender>`), added as
   * lists arrive, rather than one wildcard: a leaf link passes a node's interest on only for
   * subjects its permissions let the far side publish, which are literal per sender
   * (docs/protocol.md, "The channel").
   */
  onApplicationBootstrap(): void {
    void this.nats.ready().then(({ nc, names }) => {
      this.trust.onAdopted((list) => {
        if (this.stopped) return;
        for (const { code } of list.nodes) {
          if (code === this.config.code || this.subscriptions.has(code)) continue;
          this.subscriptions.set(
            code,
            nc.subscribe(names.channel(this.config.code, code), {
              callback: (error, msg) => {
                if (!error) void this.onMessage(msg);
              },
            }),
          );
        }
      });
    });
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const subscription of this.subscriptions.values()) subscription.unsubscribe();
    this.subscriptions.clear();
    for (const [nonce, ask] of this.pending) {
      clearTimeout(ask.timer);
      ask.reject(new ChannelUnreachable(ask.to, 'this node is stopping'));
      this.pending.delete(nonce);
    }
  }

  answer(kind: string, handler: Answerer): void {
    this.register(this.answerers, kind, handler);
  }

  receive(kind: string, handler: Receiver): void {
    this.register(this.receivers, kind, handler);
  }

  refused(kind: string, handler: RefusalHearer): void {
    this.register(this.refusalHearers, kind, handler);
  }

  async ask<T = unknown>(to: string, kind: string, body: unknown, options: { timeoutMs?: number } = {}): Promise<T> {
    checkKind(kind);
    if (to === this.config.code) return (await this.answerLocally(kind, { from: to, body, at: new Date().toISOString() })) as T;
    return (await this.send(to, kind, body, undefined, options.timeoutMs ?? this.config.http.channelTimeoutMs)) as T;
  }

  async enqueue(manager: EntityManager, to: string, kind: string, body: unknown): Promise<string> {
    checkKind(kind);
    if (!isDivisionCode(to)) throw new RangeError(`${to} is not a division code`);
    const id = randomUUID();
    await this.outbox.add(manager, { id, peer: to, kind, body });
    for (const listener of this.enqueueListeners) listener();
    return id;
  }

  /** The relay's wake-up: called after a message is written (before its transaction commits). */
  onEnqueued(listener: () => void): void {
    this.enqueueListeners.push(listener);
  }

  /**
   * One delivery attempt of a durable message (the relay's): resolves once the receiver has
   * applied it, or had already; throws its refusal, or ChannelUnreachable.
   */
  async deliver(to: string, kind: string, id: string, body: unknown): Promise<void> {
    if (to === this.config.code) {
      await this.applyDurable({ from: to, id, body, at: new Date().toISOString() }, kind);
      return;
    }
    await this.send(to, kind, body, id, this.config.http.channelTimeoutMs);
  }

  /** Tells the feature that sent it that a durable message was refused for good, in the transaction that records it. */
  async hearRefusal(manager: EntityManager, delivery: RefusedDelivery): Promise<void> {
    await this.refusalHearers.get(delivery.kind)?.(manager, delivery);
  }

  private register<H>(map: Map<string, H>, kind: string, handler: H): void {
    checkKind(kind);
    if (map.has(kind)) throw new Error(`channel kind ${kind} has two handlers`);
    map.set(kind, handler);
  }

  private async send(to: string, kind: string, body: unknown, id: string | undefined, timeoutMs: number): Promise<unknown> {
    if (!isDivisionCode(to)) throw DomainRefusal.invalid([{ field: 'node', messages: [`${String(to).slice(0, 20)} is not a division code`] }]);
    const trusted = this.trust.keyOf(to);
    if (trusted.kind === 'removed') throw DomainRefusal.forbidden(`node ${to} is not in the federation's trust list: ${trusted.reason}`, { permanent: true });
    // Not permanent: a node the province has not listed yet may join; a durable message waits for it.
    if (trusted.kind === 'unlisted') throw DomainRefusal.notFound(`no node ${to} in the federation's trust list: ${trusted.reason}`);
    if (trusted.kind !== 'trusted') throw new ChannelUnreachable(to, `its key cannot be checked: ${trusted.reason}`);
    if (!this.nats.isConnected()) throw new ChannelUnreachable(to, 'this node is not connected to NATS');
    const { nc, names } = await this.nats.ready();
    const nonce = newChannelNonce();
    const message: ChannelMessage = { v: 1, kind, from: this.config.code, to, at: new Date().toISOString(), nonce, ...(id ? { id } : {}), body };
    const { data, sig } = sealChannelMessage(message, this.config.signingKey);
    if (data.byteLength > this.maxBytes(nc.info?.max_payload)) {
      throw new DomainRefusal(
        'invalid',
        `a ${kind} message of ${data.byteLength} bytes is larger than the channel carries (${this.maxBytes(nc.info?.max_payload)})`,
        {
          permanent: true,
        },
      );
    }
    const h = natsHeaders();
    h.set(CHANNEL_SIG_HEADER, sig);
    const answered = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(nonce);
        this.metrics.asks.inc({ kind, outcome: 'timeout' });
        reject(new ChannelUnreachable(to, `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(nonce, { to, resolve, reject, timer });
    });
    try {
      nc.publish(names.channel(to, this.config.code), data, { headers: h });
    } catch (error) {
      // The connection closed after the check above: nobody will answer, so stop waiting now.
      const waiting = this.pending.get(nonce);
      if (waiting) clearTimeout(waiting.timer);
      this.pending.delete(nonce);
      answered.catch(() => undefined);
      throw new ChannelUnreachable(to, `publishing failed: ${(error as Error).message}`);
    }
    return answered;
  }

  private maxBytes(serverMax: number | undefined): number {
    // The signature header needs room beside the message.
    return Math.min(CHANNEL_MAX_BYTES, (serverMax ?? 1_048_576) - 1024);
  }

  private async onMessage(msg: Msg): Promise<void> {
    const sender = senderOfSubject(msg.subject);
    let message: ChannelMessage;
    try {
      message = openChannelMessage(msg.data);
    } catch (error) {
      return this.drop(sender, error instanceof ChannelMessageError ? error.reason : 'unreadable');
    }
    // The subject names the sender and NATS lets a node publish only as itself (deploy/nats).
    if (message.from !== sender) return this.drop(sender, `sent as ${sender} but signed as ${message.from}`);
    if (message.to !== this.config.code) return this.drop(sender, `addressed to ${message.to}, not ${this.config.code}`);
    const trusted = this.trust.keyOf(message.from);
    if (trusted.kind !== 'trusted') return this.drop(sender, `its key cannot be checked: ${trusted.reason}`);
    if (!trusted.keys.some((key) => verifyChannelMessage(msg.data, msg.headers?.get(CHANNEL_SIG_HEADER), key))) {
      return this.drop(sender, `it does not carry ${message.from}'s signature`);
    }
    if (message.kind === CHANNEL_ANSWER) return this.takeAnswer(message);
    const tooMany = this.limits.refusal('channel', message.from);
    if (tooMany) return this.reply(message, { ok: false, refusal: toChannelRefusal(DomainRefusal.unavailable(tooMany)) });
    // Only with the signature verified may a message take a place among the sender's nonces.
    const admission = this.replays.admit(message.from, message.nonce, message.at);
    if (admission !== 'fresh') {
      this.metrics.rejected.inc({ reason: admission });
      const seconds = CHANNEL_MAX_AGE_MS / 1000;
      const why =
        admission === 'stale'
          ? DomainRefusal.forbidden(
              `the message was signed at ${message.at}, more than ${seconds} s from ${this.config.code}'s clock (a replay, or a clock to set)`,
            )
          : admission === 'replayed'
            ? DomainRefusal.forbidden(`the message's nonce was used before (a replay)`)
            : DomainRefusal.unavailable(`${message.from} sent more messages than ${this.config.code} checks for replays in ${seconds} s; try again`);
      // A replayed message's sender is not waiting for it; the genuine sender of a stale one learns why.
      if (admission !== 'replayed') this.reply(message, { ok: false, refusal: toChannelRefusal(why) });
      this.logger.warn(`refused ${message.kind} from ${message.from}: ${why.message}`);
      return;
    }
    this.reply(message, await this.handle(message));
  }

  private async handle(message: ChannelMessage): Promise<ChannelAnswer> {
    const call = { from: message.from, body: message.body, at: message.at };
    try {
      const value =
        message.id === undefined ? await this.answerLocally(message.kind, call) : await this.applyDurable({ ...call, id: message.id }, message.kind);
      this.metrics.handled.inc({ kind: message.kind, outcome: 'ok' });
      return { ok: true, value: value ?? null };
    } catch (error) {
      const refusal = error instanceof DomainRefusal ? error : DomainRefusal.unavailable(`${this.config.code} could not answer ${message.kind}; try again`);
      if (error instanceof DomainRefusal) this.logger.warn(`refused ${message.kind} from ${message.from}: ${refusal.kind}: ${refusal.message}`);
      else this.logger.warn(`${message.kind} from ${message.from} failed: ${(error as Error).stack}`);
      this.metrics.handled.inc({ kind: message.kind, outcome: refusal.kind });
      return { ok: false, refusal: toChannelRefusal(refusal) };
    }
  }

  private async answerLocally(kind: string, call: ChannelCall): Promise<unknown> {
    const answerer = this.answerers.get(kind);
    if (!answerer) throw new DomainRefusal('invalid', `${this.config.code} answers no ${kind} message`, { permanent: true });
    return answerer(call);
  }

  /** A durable message, applied once: its handler runs in the transaction that remembers its id. */
  private async applyDurable(call: DurableCall, kind: string): Promise<null> {
    const receiver = this.receivers.get(kind);
    // Not permanent: the receiver may run an older release that learns the kind on upgrade; the message waits.
    if (!receiver) throw DomainRefusal.unavailable(`${this.config.code} does not receive ${kind} messages (yet)`);
    await this.dataSource.transaction(async (manager) => {
      if (await this.outbox.firstReceipt(manager, call.from, call.id, kind)) await receiver(manager, call);
    });
    return null;
  }

  private takeAnswer(message: ChannelMessage): void {
    const ask = message.re === undefined ? undefined : this.pending.get(message.re);
    // An answer nobody waits for (late, or replayed) changes nothing.
    if (!ask || ask.to !== message.from) return;
    this.pending.delete(message.re as string);
    clearTimeout(ask.timer);
    const answer = message.body as ChannelAnswer;
    if (answer.ok) ask.resolve(answer.value);
    else ask.reject(fromChannelRefusal(answer.refusal));
  }

  private reply(to: ChannelMessage, answer: ChannelAnswer): void {
    if (this.stopped || !this.nats.isConnected()) return;
    void this.nats.ready().then(({ nc, names }) => {
      const message: ChannelMessage = {
        v: 1,
        kind: CHANNEL_ANSWER,
        from: this.config.code,
        to: to.from,
        at: new Date().toISOString(),
        nonce: newChannelNonce(),
        re: to.nonce,
        body: answer,
      };
      let sealed = sealChannelMessage(message, this.config.signingKey);
      if (sealed.data.byteLength > this.maxBytes(nc.info?.max_payload)) {
        const tooLarge = DomainRefusal.unavailable(`the answer to ${to.kind} is larger than the channel carries; ask for less (a smaller page)`);
        sealed = sealChannelMessage({ ...message, body: { ok: false, refusal: toChannelRefusal(tooLarge) } }, this.config.signingKey);
      }
      const h = natsHeaders();
      h.set(CHANNEL_SIG_HEADER, sealed.sig);
      nc.publish(names.channel(to.from, this.config.code), sealed.data, { headers: h });
    });
  }

  /** Counted always; logged once per sender subject and DROP_LOG_MS, so that a flood cannot fill the log. */
  private drop(sender: string, reason: string): void {
    this.metrics.rejected.inc({ reason: 'unauthenticated' });
    const name = sender.slice(0, 20);
    const now = Date.now();
    if ((this.droppedLoggedAt.get(name) ?? 0) > now - DROP_LOG_MS) return;
    if (this.droppedLoggedAt.size >= 1000) this.droppedLoggedAt.clear();
    this.droppedLoggedAt.set(name, now);
    this.logger.warn(
      `dropped a channel message on ${name}'s subject: ${reason} (more such within ${DROP_LOG_MS / 1000} s are only counted: tdx_channel_messages_rejected_total)`,
    );
  }
}

function checkKind(kind: string): void {
  if (!CHANNEL_KIND.test(kind)) throw new RangeError(`${kind} is not a channel kind (dotted lower-case words)`);
}
