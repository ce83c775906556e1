import { Inject, Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { ACCESS_ALERT_KINDS } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { AccessSupervision } from './access-supervision.service';

/**
 * Access supervision's gauges, on the node's own registry, read before each scrape from the newest
 * `access` state of every node of this node's subtree (its own included): what GET
 * /api/v1/supervision/alerts shows, for Prometheus' alert rules.
 */
@Injectable()
export class AccessMetrics {
  constructor(@Inject(NODE_CONFIG) config: NodeRuntimeConfig, metrics: MetricsRegistry, supervision: AccessSupervision) {
    const alerts = new Gauge({
      name: 'tdx_supervision_alerts',
      help: 'Current access-supervision alerts of this node and its subtree (each node its newest figures), by kind',
      labelNames: ['kind'],
      registers: [metrics.registry],
    });
    const overdue = new Gauge({
      name: 'tdx_supervision_overdue_decisions',
      help: 'Return and share requests undecided past their deadline, by the node that must decide them (this node and its subtree)',
      labelNames: ['origin'],
      registers: [metrics.registry],
    });
    for (const kind of ACCESS_ALERT_KINDS) alerts.set({ kind }, 0);
    metrics.beforeScrape(async () => {
      const states = await supervision.subtreeStates(config.code);
      const byKind = new Map<string, number>(ACCESS_ALERT_KINDS.map((k) => [k, 0]));
      for (const s of states) for (const a of s.data.alerts) byKind.set(a.kind, (byKind.get(a.kind) ?? 0) + 1);
      for (const [kind, n] of byKind) alerts.set({ kind }, n);
      overdue.reset();
      for (const s of states) overdue.set({ origin: s.origin }, s.data.decisions.overdue);
    });
  }
}
