import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { isDirectChild } from '@tdx/divisions';
import { checkHeartbeat, HeartbeatError, publicKeyFromBase64url, readHeartbeat, senderOfSubject } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { NatsLink } from '../core/nats-link';
import { RequestLimits } from '../core/nats-request-limits';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { NodeAdmissionService } from '../identity/node-admission.service';
import { NodeRegistryRepository } from '../identity/node-registry.repository';
import { LinkStateRepository } from './link-state.repository';

type Refusal = 'malformed' | 'misaddressed' | 'unknown-sender' | 'signature' | 'stale' | 'replay' | 'rate';

const LOG_EVERY_MS = 60_000;

/**
 * The parent side of heartbeats. Anyone can publish on the heartbeat subjects of a server without
 * authentication, so a heartbeat counts only when it is a well-formed message from the direct child
 * the subject names, to this node, about that child's subtree, signed with the key this node
 * admitted the child with, fresh, and newer than the last one taken. Everything else is counted by
 * reason (tdx_heartbeats_refused_total) and changes nothing; it is logged at most once a minute.
 */
@Injectable()
export class HeartbeatReceiverService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Heartbeat');
  private subscription: Subscription | undefined;
  private lastLoggedAt = 0;
  private unlogged = 0;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly nats: NatsLink,
    private readonly registry: NodeRegistryRepository,
    private readonly admission: NodeAdmissionService,
    private readonly links: LinkStateRepository,
    private readonly limits: RequestLimits,
    private readonly metrics: MetricsRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.level === 'county') return;
    void this.nats.ready().then(({ nc, names }) => {
      // A queue group: one replica of this node takes each heartbeat (two would refuse it once as a replay).
      this.subscription = nc.subscribe(names.heartbeatWildcard(this.config.code), {
        queue: names.replicaGroup(this.config.code),
        callback: (error, msg) => {
          if (!error) void this.receive(msg);
        },
      });
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  /** Takes one heartbeat, or counts why not. */
  private async receive(msg: Msg): Promise<void> {
    const sender = senderOfSubject(msg.subject);
    try {
      if (this.limits.refusal('heartbeat', sender)) return this.refuse('rate', sender, 'too many heartbeats');
      const read = readHeartbeat(msg.data);
      if (!isDirectChild(sender, this.config.code) || this.admission.isRefusedHere(sender)) {
        return this.refuse('unknown-sender', sender, `${sender} is not an admitted child of ${this.config.code}`);
      }
      const known = await this.registry.knownNode(this.dataSource.manager, sender);
      if (!known || known.status !== 'approved' || known.via !== sender) {
        return this.refuse('unknown-sender', sender, `${sender} is not an admitted child of ${this.config.code}`);
      }
      const keys = [known.publicKey, ...(known.previousPublicKey ? [known.previousPublicKey] : [])].map(publicKeyFromBase64url);
      const heartbeat = checkHeartbeat(read, { sender, receiver: this.config.code, keys });
      if (!(await this.links.recordHeartbeat(this.dataSource.manager, sender, heartbeat))) {
        return this.refuse('replay', sender, 'not newer than the last heartbeat taken');
      }
    } catch (error) {
      if (error instanceof HeartbeatError) return this.refuse(error.kind, sender, error.message);
      this.logger.warn(`heartbeat from ${sender.slice(0, 64)} not recorded: ${(error as Error).message}`);
    }
  }

  private refuse(reason: Refusal, sender: string, why: string): void {
    this.metrics.heartbeatsRefused.inc({ reason });
    const now = Date.now();
    if (now - this.lastLoggedAt < LOG_EVERY_MS) {
      this.unlogged++;
      return;
    }
    const more = this.unlogged > 0 ? ` (and ${this.unlogged} more refused since the last such line)` : '';
    this.logger.warn(`refused a heartbeat sent as ${sender.slice(0, 64)}: ${why.slice(0, 300)}${more}`);
    this.lastLoggedAt = now;
    this.unlogged = 0;
  }
}
