import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Wakeup } from '../common/wakeup';
import { DomainRefusal } from '../common/domain-refusal';
import { ChannelOutboxRepository } from './channel-outbox.repository';
import { NatsChannel } from './nats-channel';
import { toChannelRefusal } from './channel-refusal';
import { LeaseTerm, WorkerLeases } from '../leases/worker-leases';

/** The relay's lease: of several replicas of this node one delivers, so each peer's messages keep their order. */
const CHANNEL_RELAY_LEASE = 'channel-relay';

/** How often the relay looks for due messages when nothing wakes it. */
const POLL_MS = 2000;
/** Messages to one peer per round. */
const BATCH = 50;
/** Retries of one message wait twice as long each time, from 1 s up to 5 minutes. */
const RETRY_MS = { initial: 1000, max: 300_000 };
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Delivers the durable channel messages: each peer's in the order they were written, peers side
 * by side (one unreachable node holds up nobody else). A message is marked delivered only when
 * its receiver has answered that it applied it (or had already), so a crash of either node or
 * of NATS at any moment means a retry, never a loss, and the receiver's inbox makes the retry
 * harmless. A permanent refusal ends the message's delivery and is told to the feature that sent it.
 * Of several replicas of this node, the one holding the relay's lease delivers.
 */
@Injectable()
export class ChannelRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChannelRelay');
  private readonly wakeup = new Wakeup();
  private running = false;
  private loop: Promise<void> | undefined;
  private prunedAt = 0;
  private readonly inFlight = new Map<string, Promise<void>>();
  private term: LeaseTerm | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: ChannelOutboxRepository,
    private readonly channel: NatsChannel,
    private readonly leases: WorkerLeases,
  ) {
    channel.onEnqueued(() => this.wake());
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wakeup.signal();
    await this.loop;
  }

  /** Something was written to the outbox (its transaction may commit a moment later). */
  wake(): void {
    this.wakeup.signal();
    setTimeout(() => this.wakeup.signal(), 50).unref();
  }

  private async run(): Promise<void> {
    await this.leases.runWhileHeld(
      CHANNEL_RELAY_LEASE,
      () => this.running,
      (term) => this.relayWhileHeld(term),
      this.wakeup,
    );
  }

  /** True while this node runs and this replica holds the relay's lease. */
  private get active(): boolean {
    return this.running && (this.term?.held ?? false);
  }

  private async relayWhileHeld(term: LeaseTerm): Promise<void> {
    this.term = term;
    term.onEnd(() => this.wakeup.signal());
    while (this.active) {
      try {
        // Each peer on its own: a node that does not answer (its timeout) holds up no other.
        for (const peer of await this.outbox.duePeers(this.dataSource.manager)) {
          if (this.inFlight.has(peer)) continue;
          const delivery = this.deliverTo(peer)
            .catch((error) => {
              if (this.active) this.logger.warn(`delivering to ${peer} failed: ${(error as Error).message}`);
            })
            .finally(() => {
              this.inFlight.delete(peer);
              // What was written meanwhile, or is due now, goes at once.
              this.wakeup.signal();
            });
          this.inFlight.set(peer, delivery);
        }
        if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) {
          this.prunedAt = Date.now();
          await this.outbox.prune(this.dataSource.manager);
        }
      } catch (error) {
        if (this.active) this.logger.warn(`relay round failed: ${(error as Error).message}`);
      }
      if (this.active) await this.wakeup.sleep(POLL_MS);
    }
    await Promise.all(this.inFlight.values());
  }

  private async deliverTo(peer: string): Promise<void> {
    for (const m of await this.outbox.nextFor(this.dataSource.manager, peer, BATCH)) {
      if (!this.active) return;
      try {
        await this.channel.deliver(peer, m.kind, m.id, m.body);
        await this.outbox.delivered(this.dataSource.manager, m.seq);
      } catch (error) {
        if (error instanceof DomainRefusal && error.permanent) {
          const refusal = toChannelRefusal(error);
          this.logger.warn(`${peer} refused ${m.kind} ${m.id} for good: ${error.message}`);
          await this.dataSource.transaction(async (manager) => {
            await this.outbox.refused(manager, m.seq, refusal);
            await this.channel.hearRefusal(manager, { id: m.id, to: peer, kind: m.kind, body: m.body, refusal });
          });
          continue;
        }
        const retryIn = Math.min(RETRY_MS.initial * 2 ** Math.min(m.attempts, 20), RETRY_MS.max);
        await this.outbox.failed(this.dataSource.manager, m.seq, (error as Error).message, retryIn);
        // Later messages to this peer wait behind this one.
        return;
      }
    }
  }
}
