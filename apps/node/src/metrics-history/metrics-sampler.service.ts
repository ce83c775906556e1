import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { Wakeup } from '../common/wakeup';
import { LeaseTerm, WorkerLeases } from '../leases/worker-leases';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { FederationStatusService } from '../federation/federation-status.service';
import { MetricSampleRepository, Sample } from './metric-sample.repository';

/** The sampler's lease: of several replicas of this node one samples the links and prunes. */
const METRICS_HISTORY_LEASE = 'metrics-history';
/** The counters whose increase per minute is `transfer-rows`: rows received by return transfers and by share deliveries. */
const TRANSFER_ROW_COUNTERS = ['tdx_return_rows_total', 'tdx_share_delivery_rows_total'];
const HTTP_COUNTER = 'tdx_http_requests_total';
/** Written every minute even when nothing was answered, so that a quiet minute is a 0 on the chart, not a gap. */
const HTTP_CLASSES = ['2xx', '4xx', '5xx'];
// A tick runs a little after its boundary, so that the minute it writes has surely ended.
const AFTER_BOUNDARY_MS = 50;

/**
 * Writes the metrics history (GET /api/v1/metrics/history), one sample per series and interval
 * (METRICS_HISTORY_INTERVAL, 60 s), each stamped with the start of the interval it closes.
 *
 * - The link gauges (lag, backlog) are measured, from the federation status, by the one replica
 *   holding the lease `metrics-history`, which also prunes samples older than 7 days.
 * - The counts (requests answered, rows received) happen in whichever replica served them, and
 *   each replica knows only its own: every replica adds its increase over the interval to the
 *   minute's row, so the row holds the node's total (a replica that dies loses its unwritten minute).
 */
@Injectable()
export class MetricsSampler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MetricsHistory');
  private readonly countTicks = new Wakeup();
  private readonly gaugeTicks = new Wakeup();
  private running = false;
  private loops: Promise<void>[] = [];
  /** The counters' totals at the last tick, to write their increase. */
  private lastTotals = new Map<string, number>();

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly samples: MetricSampleRepository,
    private readonly metrics: MetricsRegistry,
    private readonly federation: FederationStatusService,
    private readonly leases: WorkerLeases,
  ) {}

  private get intervalMs(): number {
    return this.config.metricsHistory.intervalSeconds * 1000;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.lastTotals = await this.counterTotals();
    this.running = true;
    this.loops = [
      this.countLoop(),
      this.leases.runWhileHeld(
        METRICS_HISTORY_LEASE,
        () => this.running,
        (term) => this.sampleWhileHeld(term),
        this.gaugeTicks,
      ),
    ];
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.countTicks.signal();
    this.gaugeTicks.signal();
    await Promise.all(this.loops);
  }

  private async countLoop(): Promise<void> {
    while (this.running) {
      const at = await this.untilBoundary(this.countTicks);
      if (!at) continue;
      try {
        await this.writeCounts(at);
      } catch (error) {
        if (this.running) this.logger.warn(`could not write the counts of ${at.toISOString()}: ${(error as Error).message}`);
      }
    }
  }

  private async sampleWhileHeld(term: LeaseTerm): Promise<void> {
    term.onEnd(() => this.gaugeTicks.signal());
    while (this.running && term.held) {
      const at = await this.untilBoundary(this.gaugeTicks);
      if (!at || !term.held) continue;
      try {
        const gauges = await this.linkGauges();
        await this.dataSource.transaction(async (manager) => {
          await term.fence(manager);
          await this.samples.put(manager, at, gauges);
          await this.samples.prune(manager);
        });
      } catch (error) {
        if (this.running && term.held) this.logger.warn(`could not sample the links at ${at.toISOString()}: ${(error as Error).message}`);
      }
    }
  }

  /**
   * Sleeps until just after the next interval boundary; returns the start of the interval that
   * boundary closes, or undefined when woken early (shutting down, the lease ended).
   */
  private async untilBoundary(wakeup: Wakeup): Promise<Date | undefined> {
    const interval = this.intervalMs;
    const boundary = (Math.floor(Date.now() / interval) + 1) * interval;
    await wakeup.sleep(boundary - Date.now() + AFTER_BOUNDARY_MS);
    if (!this.running || Date.now() < boundary) return undefined;
    return new Date(boundary - interval);
  }

  private async writeCounts(at: Date): Promise<void> {
    const totals = await this.counterTotals();
    const increase = (key: string) => {
      const now = totals.get(key) ?? 0;
      const before = this.lastTotals.get(key) ?? 0;
      // A counter that went down was reset: all of it is new.
      return now >= before ? now - before : now;
    };
    const classes = new Set([...HTTP_CLASSES, ...[...totals.keys()].filter((k) => k.startsWith('http:')).map((k) => k.slice(5))]);
    const counts: Sample[] = [
      { series: 'transfer-rows', label: null, value: TRANSFER_ROW_COUNTERS.reduce((sum, name) => sum + increase(name), 0) },
      ...[...classes].sort().map((c) => ({ series: 'http-requests' as const, label: c, value: increase(`http:${c}`) })),
    ];
    this.lastTotals = totals;
    await this.samples.add(this.dataSource.manager, at, counts);
  }

  /** The counters' totals now: each transfer-row counter by name, the HTTP counter by class (`http:2xx`). */
  private async counterTotals(): Promise<Map<string, number>> {
    const totals = new Map<string, number>();
    for (const name of TRANSFER_ROW_COUNTERS) {
      const values = (await this.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
      totals.set(
        name,
        values.reduce((sum, v) => sum + v.value, 0),
      );
    }
    for (const v of (await this.metrics.registry.getSingleMetric(HTTP_COUNTER)?.get())?.values ?? []) {
      const key = `http:${String(v.labels.class)}`;
      totals.set(key, (totals.get(key) ?? 0) + v.value);
    }
    return totals;
  }

  /** Each link's lag and backlog, as the federation status reports them (label: the peer's code). */
  private async linkGauges(): Promise<Sample[]> {
    const status = await this.federation.status();
    const samples: Sample[] = [];
    for (const child of status.children) {
      if (child.status !== 'approved') continue;
      if (child.lastLagSeconds !== null) samples.push({ series: 'link-lag-seconds', label: child.code, value: child.lastLagSeconds });
      if (child.pending !== null) samples.push({ series: 'link-backlog', label: child.code, value: child.pending });
    }
    if (status.parent) samples.push({ series: 'link-backlog', label: status.parent.code, value: status.parent.outboxBacklog });
    return samples;
  }
}
