import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { ShareRequestRepository } from './share-request.repository';
import { ShareClock } from './share-clock';

/** Sharing's metrics, on the node's own registry: requests still undecided past their deadline; deliveries at the consumer. */
@Injectable()
export class ShareMetrics {
  readonly deliveryRows: Counter<'provider'>;
  readonly deliveriesEnded: Counter<'state'>;
  readonly deliveryFailures: Counter<'provider'>;

  constructor(metrics: MetricsRegistry, dataSource: DataSource, requests: ShareRequestRepository, clock: ShareClock) {
    this.deliveryRows = new Counter({
      name: 'tdx_share_delivery_rows_total',
      help: 'Rows (live and deletions) received and committed here by deliveries of granted shares, by provider node',
      labelNames: ['provider'],
      registers: [metrics.registry],
    });
    this.deliveriesEnded = new Counter({
      name: 'tdx_share_deliveries_ended_total',
      help: 'Deliveries of granted shares ended here: done, or refused by the provider (grant revoked or expired, entry retired)',
      labelNames: ['state'],
      registers: [metrics.registry],
    });
    this.deliveryFailures = new Counter({
      name: 'tdx_share_delivery_failures_total',
      help: 'Failed attempts of deliveries (provider unreachable, a chunk that did not verify), each retried with back-off',
      labelNames: ['provider'],
      registers: [metrics.registry],
    });
    const overdue = new Gauge({
      name: 'tdx_share_requests_overdue',
      help: 'Share requests still undecided after their deadline (working days by share type), by side: provider (to decide here) or consumer (waiting here)',
      labelNames: ['side'],
      registers: [metrics.registry],
    });
    metrics.beforeScrape(async () => {
      const counts = await requests.overdueCounts(dataSource.manager, clock.now());
      for (const side of ['provider', 'consumer'] as const) overdue.set({ side }, counts.find((c) => c.side === side)?.n ?? 0);
    });
  }
}
