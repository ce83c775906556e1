import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { ChannelOutboxRepository } from './channel-outbox.repository';

/** The channel's metrics on the node's registry: what it refused, what it handled, what waits to be delivered. */
@Injectable()
export class ChannelMetrics {
  readonly rejected: Counter<'reason'>;
  readonly handled: Counter<'kind' | 'outcome'>;
  readonly asks: Counter<'kind' | 'outcome'>;

  constructor(metrics: MetricsRegistry, dataSource: DataSource, outbox: ChannelOutboxRepository) {
    this.rejected = new Counter({
      name: 'tdx_channel_messages_rejected_total',
      help: 'Channel messages dropped or refused before any handler ran: unauthenticated (malformed, misaddressed, unknown or wrong signature), stale, replayed, full (too many nonces)',
      labelNames: ['reason'],
      registers: [metrics.registry],
    });
    this.handled = new Counter({
      name: 'tdx_channel_messages_handled_total',
      help: 'Authenticated channel messages this node handled, by kind and outcome (ok, or the refusal kind)',
      labelNames: ['kind', 'outcome'],
      registers: [metrics.registry],
    });
    this.asks = new Counter({
      name: 'tdx_channel_asks_failed_total',
      help: 'Messages this node sent through the channel that got no answer in time, by kind',
      labelNames: ['kind', 'outcome'],
      registers: [metrics.registry],
    });
    const backlog = new Gauge({
      name: 'tdx_channel_outbox_backlog',
      help: 'Durable channel messages (requests, decisions, revocations) not yet acknowledged, by receiving node',
      labelNames: ['peer'],
      registers: [metrics.registry],
    });
    const oldest = new Gauge({
      name: 'tdx_channel_outbox_oldest_seconds',
      help: 'Age of the oldest durable channel message not yet acknowledged, by receiving node',
      labelNames: ['peer'],
      registers: [metrics.registry],
    });
    metrics.beforeScrape(async () => {
      backlog.reset();
      oldest.reset();
      for (const peer of await outbox.backlog(dataSource.manager)) {
        backlog.set({ peer: peer.peer }, peer.messages);
        oldest.set({ peer: peer.peer }, peer.oldestSeconds);
      }
    });
  }
}
