import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OLDEST_PROTOCOL_VERSION, PROTOCOL_VERSION } from '@tdx/contracts';
import type { ParkedMessageListView, ProtocolStatusView } from '@tdx/contracts';
import { DataSource } from 'typeorm';
import { TrustListService } from '../identity/trust-list.service';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { ParkedMessageRepository } from './parked-message.repository';
import { RecordApplier } from './record-applier';

/**
 * The records this node parked because it could not read them (docs/protocol.md, "Versions and
 * skew"). They are read again when the node starts (an upgrade is a restart) as soon as it holds a
 * valid trust list (the keys they are checked with), again with every later list (a key that was
 * missing may have come), and when an operator asks.
 */
@Injectable()
export class ParkedMessagesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ParkedMessagesService.name);
  private rereading: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly parked: ParkedMessageRepository,
    private readonly applier: RecordApplier,
    private readonly trust: TrustListService,
    private readonly metrics: MetricsRegistry,
  ) {
    metrics.protocolVersion.set({ oldest_supported: String(OLDEST_PROTOCOL_VERSION) }, PROTOCOL_VERSION);
    metrics.beforeScrape(() => this.protocol());
  }

  onApplicationBootstrap(): void {
    this.trust.onAdopted(() => {
      if (this.trust.state() === 'valid') void this.reread().catch((error: Error) => this.logger.warn(`reading parked records again failed: ${error.message}`));
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.rereading.catch(() => undefined);
  }

  /** Reads every parked record this release may read again, one pass at a time; answers what left and what stays. */
  reread(): Promise<{ released: number; kept: number }> {
    const pass = this.rereading
      .catch(() => undefined)
      .then(async () => {
        if (this.stopped) return { released: 0, kept: 0 };
        const result = await this.applier.rereadParked();
        if (result.released + result.kept > 0) this.logger.log(`read parked records again: ${result.released} settled, ${result.kept} still parked`);
        return result;
      });
    this.rereading = pass;
    return pass;
  }

  async protocol(): Promise<ProtocolStatusView> {
    const { count, oldestAt } = await this.parked.summary(this.dataSource.manager);
    this.metrics.parkedMessages.set(count);
    return { version: PROTOCOL_VERSION, oldestSupported: OLDEST_PROTOCOL_VERSION, parked: count, oldestParkedAt: oldestAt };
  }

  async list(limit: number): Promise<ParkedMessageListView> {
    const [protocol, items] = await Promise.all([this.protocol(), this.parked.list(this.dataSource.manager, limit)]);
    return { protocol, items };
  }
}
