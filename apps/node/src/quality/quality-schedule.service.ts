import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { Wakeup } from '../common/wakeup';
import { LeaseTerm, WorkerLeases } from '../leases/worker-leases';
import { QualityService } from './quality.service';

/** Of several replicas of this node, the one holding this lease runs the scheduled checks. */
const QUALITY_LEASE = 'quality-check';

/**
 * Runs the quality check every QUALITY_CHECK_INTERVAL_HOURS (24 by default; 0: never), the first
 * one interval after the last check on record (any replica's), or after start when there is none:
 * counting from start would let a node restarted more often than the interval (rollouts) never
 * check at all. A check asked for by POST while one runs on this replica is refused
 * (409); a scheduled one that meets a check in progress waits for the next interval.
 */
@Injectable()
export class QualitySchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('QualitySchedule');
  private readonly ticks = new Wakeup();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly quality: QualityService,
    private readonly leases: WorkerLeases,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.quality.checkIntervalHours === 0) return;
    this.running = true;
    this.loop = this.leases.runWhileHeld(
      QUALITY_LEASE,
      () => this.running,
      (term) => this.whileHeld(term),
      this.ticks,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.ticks.signal();
    await this.loop;
  }

  private async whileHeld(term: LeaseTerm): Promise<void> {
    term.onEnd(() => this.ticks.signal());
    const intervalMs = this.config.quality.checkIntervalHours * 3_600_000;
    const last = await this.quality.lastCheckedAt().catch(() => undefined);
    let waitMs = last ? Math.max(0, last.getTime() + intervalMs - Date.now()) : intervalMs;
    while (this.running && term.held) {
      await this.ticks.sleep(waitMs);
      waitMs = intervalMs;
      if (!this.running || !term.held) continue;
      try {
        const run = await this.quality.run();
        this.logger.log(`scheduled quality check: ${run.node.entries} entries, ${run.node.rows} rows, score ${run.node.score ?? 'none'}`);
      } catch (error) {
        if (this.running) this.logger.warn(`scheduled quality check failed: ${(error as Error).message}`);
      }
    }
  }
}
