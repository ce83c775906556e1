import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { encodeEnvelope, JoinBody, JoinReply, newNonce, openJoinAnswer, sealRecord, SigningKey } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { LinkStateRepository } from './link-state.repository';
import { NatsHandles, NatsLink } from '../core/nats-link';
import { retryWithBackoff } from '../common/backoff';
import { sleep } from '../common/sleep';
import { Wakeup } from '../common/wakeup';
import { OutboxRepository } from '../outbox/outbox.repository';
import { OutboxSignal } from '../outbox/outbox-signal';
import { ExchangeAudit } from '../audit/exchange-audit.service';
import { batchSent, joinReplied } from './link-audit';
import { TrustListService } from '../identity/trust-list.service';
import { LeaseTerm, WorkerLeases } from '../leases/worker-leases';

/** The lease of the outbox relay: one replica of this node publishes, so records leave in sequence order. */
export const RELAY_LEASE = 'outbox-relay';

const BATCH = 1000;
const IDLE_POLL_MS = 1000;
// Retrying costs one request; a short ceiling means changes flow soon after the link is back.
const MAX_BACKOFF_MS = 5_000;

/**
 * The child side of the link to the parent: joins (with back-off, forever), then relays the
 * outbox to the parent's stream in sequence order, deleting rows only once JetStream has
 * acknowledged them. A crash between ack and delete re-sends, which the parent applies idempotently.
 * Of several replicas of this node, the one holding the relay's lease relays; the others wait to take over.
 */
@Injectable()
export class ParentLinkService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ParentLinkService.name);
  private running = false;
  private readonly wakeup = new Wakeup();
  private loop: Promise<void> | undefined;
  joined = false;
  private term: LeaseTerm | undefined;

  /** True while this replica holds the relay's lease (of several replicas of this node, one does). */
  get relaying(): boolean {
    return this.term?.held ?? false;
  }

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly nats: NatsLink,
    private readonly outbox: OutboxRepository,
    private readonly links: LinkStateRepository,
    private readonly metrics: MetricsRegistry,
    private readonly audit: ExchangeAudit,
    private readonly trust: TrustListService,
    private readonly leases: WorkerLeases,
    signal: OutboxSignal,
  ) {
    signal.listen(() => this.wakeup.signal());
  }

  onApplicationBootstrap(): void {
    if (!this.config.parentCode) return;
    this.running = true;
    this.loop = this.run(this.config.parentCode).catch((error) => this.logger.error(`relay stopped: ${(error as Error).stack}`));
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wakeup.signal();
    await this.loop;
  }

  private async run(parent: string): Promise<void> {
    const handles = await this.nats.ready();
    await this.join(handles, parent);
    await this.leases.runWhileHeld(
      RELAY_LEASE,
      () => this.running,
      (term) => this.relayWhileHeld(handles, parent, term),
      this.wakeup,
    );
  }

  private async relayWhileHeld(handles: NatsHandles, parent: string, term: LeaseTerm): Promise<void> {
    this.term = term;
    term.onEnd(() => this.wakeup.signal());
    const holding = () => this.running && term.held;
    while (holding()) {
      const sent = await retryWithBackoff(() => this.relayOnce(handles, parent, term), {
        ...this.retrying,
        running: holding,
        onError: async (error, delay) => {
          if (!term.held) return;
          this.logger.warn(`relay to ${parent} failed: ${error.message}; retrying in ${delay} ms`);
          await this.links.parentError(this.dataSource.manager, parent, error.message).catch(() => undefined);
        },
      });
      if (sent === 0) await this.idle(IDLE_POLL_MS);
    }
  }

  private async join(handles: NatsHandles, parent: string): Promise<void> {
    const reply = await retryWithBackoff(
      async () => {
        let reply: JoinReply;
        try {
          reply = await this.joinOnce(handles, parent);
        } catch (error) {
          throw new Error(`join request to ${parent} failed: ${(error as Error).message}`);
        }
        if (!reply.ok) throw new Error(reply.pending ? reply.reason : `parent refused the join: ${reply.reason}`);
        return reply;
      },
      {
        ...this.retrying,
        onError: async (error, delay) => {
          this.logger.warn(`${error.message}; retrying in ${delay} ms`);
          await this.links.parentError(this.dataSource.manager, parent, error.message).catch(() => undefined);
        },
      },
    );
    if (!reply) return;
    this.joined = true;
    this.logger.log(`joined parent ${reply.parent.code} ${reply.parent.name}`);
    this.trust.nodesChanged(); // fetch the trust list now that the parent answers
  }

  /** How the join and the relay retry: up to MAX_BACKOFF_MS apart, until the node stops. */
  private readonly retrying = {
    maxMs: MAX_BACKOFF_MS,
    running: () => this.running,
    wait: (ms: number) => this.backOff(ms),
  };

  /**
   * One join request, signed with `key` (a rotation's new key, which then carries the old key's
   * hand-over). The answer counts only if it verifies with the parent's key as the trust list
   * names it (the province's: the anchor) and echoes this join's nonce. No key is learnt from it.
   */
  async joinOnce(handles: NatsHandles, parent: string, key: SigningKey = this.config.signingKey, rotatedFrom?: JoinBody['rotatedFrom']): Promise<JoinReply> {
    const nonce = newNonce();
    const join = sealRecord(
      {
        v: 1,
        kind: 'node.join',
        origin: this.config.code,
        seq: 0,
        at: new Date().toISOString(),
        body: {
          code: this.config.code,
          name: this.config.name,
          level: this.config.level,
          parent,
          publicKey: key.publicKey,
          nonce,
          ...(rotatedFrom ? { rotatedFrom } : {}),
        },
      },
      key,
    );
    const answer = await handles.nc.request(handles.names.join(parent, this.config.code), encodeEnvelope(join), { timeout: 5000 });
    const parentKey = this.trust.keysOf(parent);
    if (parentKey.kind !== 'trusted') throw new Error(`the answer of ${parent} cannot be checked yet: ${parentKey.reason}`);
    const reply = openJoinAnswer(answer.data, parentKey.keys, { from: parent, to: this.config.code, nonce });
    await this.audit.record(joinReplied(this.config.code, parent, reply));
    // Signed by the parent: its name and key as it states them, for the status page.
    if (reply.ok) await this.links.parentJoined(this.dataSource.manager, reply.parent);
    return reply;
  }

  /** Publishes one batch, pipelined; returns how many rows were acknowledged. */
  private async relayOnce({ js, names }: NatsHandles, parent: string, term: LeaseTerm): Promise<number> {
    const rows = await this.outbox.nextBatch(this.dataSource.manager, BATCH);
    if (rows.length === 0) return 0;
    const subject = names.up(parent, this.config.code);
    const results = await Promise.allSettled(
      rows.map((row) =>
        js.publish(subject, encodeEnvelope({ payload: row.payload, sig: row.sig }), {
          msgID: `${this.config.code}:${row.seq}`,
          timeout: 10_000,
        }),
      ),
    );
    const acked = rows.filter((_, i) => results[i].status === 'fulfilled').map((row) => row.seq);
    if (acked.length > 0) {
      await this.dataSource.transaction(async (manager) => {
        // A replica that lost the lease meanwhile deletes nothing: the new holder publishes these rows again (same message ids).
        await term.fence(manager);
        await this.outbox.remove(manager, acked);
        await this.links.parentPublished(manager, parent, acked[acked.length - 1], acked.length);
        await this.audit.record(batchSent(this.config.code, parent, acked), manager);
      });
      this.metrics.published.inc(acked.length);
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    return acked.length;
  }

  /** Waits for new outbox rows (a commit signal) or the poll interval. */
  private idle(ms: number): Promise<void> {
    return this.wakeup.sleep(ms);
  }

  /** Waits after a failure; commit signals do not cut it short, so a burst of writes cannot turn retries into a storm. */
  private async backOff(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.running && Date.now() < until) await sleep(Math.min(200, until - Date.now()));
  }
}
