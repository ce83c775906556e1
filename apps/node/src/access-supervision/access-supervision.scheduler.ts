import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { Wakeup } from '../common/wakeup';
import { LeaseTerm, WorkerLeases } from '../leases/worker-leases';
import { AccessSupervision } from './access-supervision.service';

/** Of several replicas of this node, the one holding this lease runs access supervision. */
const ACCESS_SUPERVISION_LEASE = 'access-supervision';

/**
 * Runs access supervision every ACCESS_SUPERVISION_INTERVAL_MINUTES (0: never by itself), the first
 * run one interval after start: a node restarted in a loop does not publish at every start, and an
 * operator who wants figures at once asks (POST /api/v1/supervision/access/run). A run that finds
 * nothing changed publishes nothing (SupervisionStates), so a quiet node sends little. A run is not
 * fenced by the lease: should two replicas both run across a hand-over, each publishes a whole
 * state and the newer version wins everywhere, which is harmless.
 */
@Injectable()
export class AccessSupervisionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AccessSupervision');
  private readonly ticks = new Wakeup();
  private running = false;
  private loop?: Promise<void>;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly supervision: AccessSupervision,
    private readonly leases: WorkerLeases,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.accessSupervision.intervalMinutes === 0) return;
    this.running = true;
    this.loop = this.leases.runWhileHeld(
      ACCESS_SUPERVISION_LEASE,
      () => this.running,
      (term) => this.runWhileHeld(term),
      this.ticks,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.ticks.signal();
    await this.loop;
  }

  private async runWhileHeld(term: LeaseTerm): Promise<void> {
    term.onEnd(() => this.ticks.signal());
    const interval = this.config.accessSupervision.intervalMinutes * 60_000;
    while (this.running && term.held) {
      await this.ticks.sleep(interval);
      if (!this.running || !term.held) return;
      try {
        const run = await this.supervision.run();
        this.logger.log(`access figures ${run.outcome} (version ${run.version}, ${run.data.alerts.length} alerts)`);
      } catch (error) {
        if (this.running && term.held) this.logger.warn(`access supervision run failed: ${(error as Error).message}`);
      }
    }
  }
}
