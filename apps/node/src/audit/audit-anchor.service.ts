import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { AuditHead, AuditRepository } from './audit.repository';

const ANCHOR_EVERY_MS = 10 * 60_000;

/**
 * Writes the log's head outside the database: to the node's log at start, every ten minutes when
 * it moved, and at shutdown; and as the metric `tdx_audit_head_seq`. A chain can prove that nothing
 * inside it changed, but not that its newest records were not cut off together with the head;
 * a head kept elsewhere (log shipping, a monitoring system's history) can: `tdx audit verify
 * --anchor SEQ:HASH` checks that the chain still holds it, and the metric must never go down.
 */
@Injectable()
export class AuditAnchor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AuditAnchor');
  private readonly headSeq: Gauge;
  private timer: NodeJS.Timeout | undefined;
  private lastLogged: number | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: AuditRepository,
    metrics: MetricsRegistry,
  ) {
    this.headSeq = new Gauge({
      name: 'tdx_audit_head_seq',
      help: 'Number of the newest audit record; it only grows (a decrease means the log was cut)',
      registers: [metrics.registry],
      collect: async () => {
        const head = await this.repository.head(this.dataSource.manager).catch(() => undefined);
        if (head) this.headSeq.set(head.seq);
      },
    });
  }

  onApplicationBootstrap(): void {
    void this.anchor('start');
    this.timer = setInterval(() => void this.anchor('periodic'), ANCHOR_EVERY_MS);
    this.timer.unref();
  }

  /** Before the pool closes; bounded, so that a busy pool never holds up the node's stop. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await Promise.race([this.anchor('shutdown'), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  private async anchor(when: 'start' | 'periodic' | 'shutdown'): Promise<void> {
    let head: AuditHead;
    try {
      if (!this.dataSource.isInitialized) return;
      head = await this.repository.head(this.dataSource.manager);
    } catch (error) {
      // At shutdown the pool may already be closed: nothing to anchor then.
      if (when !== 'shutdown') this.logger.warn(`could not read the audit head: ${(error as Error).message}`);
      return;
    }
    if (when === 'periodic' && head.seq === this.lastLogged) return;
    this.lastLogged = head.seq;
    this.logger.log(`audit head ${head.seq}:${head.hash} (${when}); keep it to check the log later with tdx audit verify --anchor`);
  }
}
