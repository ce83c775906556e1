import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUuid, type EntryState } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { Channel } from '../channel/channel';

/**
 * Finds a catalog entry of the whole province from this node: this node's own catalog (its entries
 * and its subtree's replicas), else the province's, which holds every entry (upward replication),
 * asked through the channel (`share.entry`). One small function, so that a province-wide catalog
 * service can take its place.
 */
@Injectable()
export class ShareEntries implements OnModuleInit {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly entries: CatalogEntryRepository,
    private readonly channel: Channel,
  ) {}

  onModuleInit(): void {
    this.channel.answer('share.entry', async (call) => {
      const id = (call.body as { id?: unknown } | null)?.id;
      if (!isUuid(id)) return null;
      return (await this.entries.findById(this.dataSource.manager, id)) ?? null;
    });
  }

  /** The entry, or null when neither this node nor the province knows it (ChannelUnreachable when the province cannot say). */
  async entry(id: string): Promise<EntryState | null> {
    const local = await this.entries.findById(this.dataSource.manager, id);
    if (local || this.config.level === 'province') return local ?? null;
    const province = `${this.config.code.slice(0, 2)}0000`;
    return this.channel.ask<EntryState | null>(province, 'share.entry', { id });
  }
}
