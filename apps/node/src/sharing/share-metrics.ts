import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { ShareRequestRepository } from './share-request.repository';
import { ShareClock } from './share-clock';

/** Sharing's metrics, on the node's own registry: requests still undecided past their deadline. */
@Injectable()
export class ShareMetrics {
  constructor(metrics: MetricsRegistry, dataSource: DataSource, requests: ShareRequestRepository, clock: ShareClock) {
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
