import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MAX_REPORTED_JOINS, PendingJoinReport, signHeartbeat } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { NatsLink } from '../core/nats-link';
import { OutboxRepository } from '../outbox/outbox.repository';
import { NodeRegistryRepository } from '../identity/node-registry.repository';
import { LinkStateRepository } from './link-state.repository';
import { ParentLinkService } from './parent-link.service';

/**
 * The child side of heartbeats: once the parent has admitted this node, every HEARTBEAT_INTERVAL
 * seconds a heartbeat signed with this node's key, reporting its outbox backlog and the joins
 * pending here and below (as the children's own heartbeats reported them). Core NATS: a heartbeat
 * lost while the link is down is simply not sent; the parent's view of the silence is the point.
 */
@Injectable()
export class HeartbeatSenderService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Heartbeat');
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private failing = false;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly nats: NatsLink,
    private readonly outbox: OutboxRepository,
    private readonly registry: NodeRegistryRepository,
    private readonly links: LinkStateRepository,
    private readonly parentLink: ParentLinkService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.parentCode) return;
    this.timer = setInterval(() => void this.beat(), this.config.heartbeatSeconds * 1000);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One heartbeat, unless the parent has not admitted this node yet or the last one is still being put together. */
  async beat(): Promise<void> {
    const parent = this.config.parentCode;
    // Of several replicas, the one relaying the outbox speaks for the node (it reports that outbox's backlog).
    if (!parent || !this.parentLink.joined || !this.parentLink.relaying || !this.nats.isConnected() || this.sending) return;
    this.sending = true;
    try {
      const { nc, names } = await this.nats.ready();
      const manager = this.dataSource.manager;
      const [backlog, here, below] = await Promise.all([
        this.outbox.backlog(manager),
        this.registry.candidates(manager, undefined, 'pending'),
        this.links.reportedPendingJoins(manager),
      ]);
      const pendingJoins: PendingJoinReport[] = [
        ...here.map((c) => ({
          code: c.code,
          name: c.name.slice(0, 200),
          publicKey: c.publicKey,
          waitsAt: this.config.code,
          firstSeen: new Date(c.firstSeen).toISOString(),
          lastSeen: new Date(c.lastSeen).toISOString(),
          attempts: c.attempts,
        })),
        ...below.flatMap((b) => b.joins),
      ].slice(0, MAX_REPORTED_JOINS);
      const signed = signHeartbeat(
        {
          from: this.config.code,
          to: parent,
          at: new Date().toISOString(),
          intervalSeconds: this.config.heartbeatSeconds,
          outboxBacklog: backlog.count,
          oldestQueuedAt: backlog.oldestAt,
          pendingJoins,
        },
        this.config.signingKey,
      );
      nc.publish(names.heartbeat(parent, this.config.code), JSON.stringify(signed));
      if (this.failing) this.logger.log(`heartbeats to ${parent} resumed`);
      this.failing = false;
    } catch (error) {
      // Said once per outage, not every interval.
      if (!this.failing) this.logger.warn(`heartbeat to ${parent} not sent: ${(error as Error).message}`);
      this.failing = true;
    } finally {
      this.sending = false;
    }
  }
}
