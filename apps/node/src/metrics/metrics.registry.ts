import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';

export const HEARTBEAT_REFUSALS = ['malformed', 'misaddressed', 'unknown-sender', 'signature', 'stale', 'replay', 'rate'] as const;

/**
 * One Prometheus registry per node instance (never the process-wide default registry). Every
 * series carries the node's code as the label `node`, also when the node runs alone: a process
 * hosting several nodes is scraped once per node, and dashboards and alerts read the same labels
 * whichever way a node runs.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  private readonly refreshers: (() => Promise<unknown>)[] = [];

  /** Gauges read from elsewhere (the database, the consumers) are refreshed by their owners before each scrape. */
  beforeScrape(refresh: () => Promise<unknown>): void {
    this.refreshers.push(refresh);
  }

  /** The exposition text, after every owner refreshed its gauges (a failing refresh leaves the last values). */
  async scrape(): Promise<string> {
    await Promise.all(this.refreshers.map((refresh) => refresh().catch(() => undefined)));
    return this.registry.metrics();
  }

  constructor(@Inject(NODE_CONFIG) config: Pick<NodeConfig, 'code'>) {
    this.registry.setDefaultLabels({ node: config.code });
    // Counters an alert takes the increase() of exist at 0 from the start, so the first refusal is an increase.
    for (const reason of HEARTBEAT_REFUSALS) this.heartbeatsRefused.inc({ reason }, 0);
  }

  readonly records = new Counter({
    name: 'tdx_replication_records_total',
    help: 'Records received from each child link, by outcome (applied, skipped as duplicate or stale, rejected, retry, parked until an upgrade)',
    labelNames: ['child', 'outcome'],
    registers: [this.registry],
  });

  readonly published = new Counter({
    name: 'tdx_outbox_published_total',
    help: 'Outbox records acknowledged by the parent stream',
    registers: [this.registry],
  });

  readonly lagSeconds = new Gauge({
    name: 'tdx_replication_lag_seconds',
    help: 'Seconds between the origin committing the last applied record of each child link and this node applying it',
    labelNames: ['child'],
    registers: [this.registry],
  });

  readonly trustListExpiry = new Gauge({
    name: 'tdx_trust_list_expiry_timestamp_seconds',
    help: 'When the trust list this node holds expires (Unix time); alert well before it: an expired list fails closed',
    registers: [this.registry],
  });

  readonly outboxBacklog = new Gauge({
    name: 'tdx_outbox_backlog',
    help: 'Records queued for the parent and not yet acknowledged',
    registers: [this.registry],
  });

  readonly natsRequestsRefused = new Counter({
    name: 'tdx_nats_requests_refused_total',
    help: 'Core-NATS requests refused as too many from one sender, by responder (join, return, trust-list)',
    labelNames: ['responder'],
    registers: [this.registry],
  });

  readonly childPending = new Gauge({
    name: 'tdx_child_link_pending',
    help: "Records waiting in this node's stream for each child link",
    labelNames: ['child'],
    registers: [this.registry],
  });

  readonly childHealth = new Gauge({
    name: 'tdx_child_link_health',
    help: 'Each child link: 1 for its state (healthy, stale, down, pending-approval, revoked), 0 for the others',
    labelNames: ['child', 'state'],
    registers: [this.registry],
  });

  readonly childLastSeen = new Gauge({
    name: 'tdx_child_link_last_seen_seconds',
    help: 'Seconds since each approved child was last seen (its heartbeat, or its record stored in the stream); absent when never seen',
    labelNames: ['child'],
    registers: [this.registry],
  });

  readonly joinsPending = new Gauge({
    name: 'tdx_joins_pending',
    help: 'Joins waiting for an operator at this node or below it, by the node that holds them (waits_at)',
    labelNames: ['waits_at'],
    registers: [this.registry],
  });

  readonly heartbeatsRefused = new Counter({
    name: 'tdx_heartbeats_refused_total',
    help: 'Heartbeats refused on receipt, by reason (malformed, misaddressed, unknown-sender, signature, stale, replay, rate)',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  readonly outboxOldestAge = new Gauge({
    name: 'tdx_outbox_oldest_age_seconds',
    help: 'Age of the oldest record queued for the parent (0 when the outbox is empty)',
    registers: [this.registry],
  });

  readonly parentJoined = new Gauge({
    name: 'tdx_parent_link_joined',
    help: 'Whether the parent has admitted this node (1) or its join is still pending or refused (0); absent at the province',
    registers: [this.registry],
  });

  readonly parkedMessages = new Gauge({
    name: 'tdx_parked_messages',
    help: 'Signed records this node cannot read yet (a newer protocol version, an unknown kind), kept to be read after its upgrade; above 0 means upgrade this node',
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'tdx_http_requests_total',
    help: 'HTTP requests this node answered, by status class (2xx, 3xx, 4xx, 5xx)',
    labelNames: ['class'],
    registers: [this.registry],
  });

  readonly protocolVersion = new Gauge({
    name: 'tdx_protocol_version',
    help: 'The protocol version this node writes (by label: the oldest it still reads), to see the versions across the tree',
    labelNames: ['oldest_supported'],
    registers: [this.registry],
  });
}
