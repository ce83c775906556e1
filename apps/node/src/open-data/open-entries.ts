import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntryState } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { DomainRefusal } from '../common/domain-refusal';
import { ChannelUnreachable } from '../channel/channel';
import { ProvinceCatalog } from '../search/province-catalog';
import { openRefusals, type OpenUse } from './open-rules';

/**
 * Finds an entry for the public wherever it was registered, and refuses what may not be opened.
 * This node's own copy first (its own entries and its subtree's replicas: the origin never
 * changes, and the origin re-checks every rule anyway), else the province's catalog through the
 * channel. The origin found here only routes the request; it grants nothing.
 */
@Injectable()
export class OpenEntries {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly entries: CatalogEntryRepository,
    private readonly province: ProvinceCatalog,
  ) {}

  get nodeCode(): string {
    return this.config.code;
  }

  /** The entry, if the public may have it for `use`: 404 unknown, 422 with the rules otherwise. */
  async openEntry(id: string, use: OpenUse): Promise<EntryState> {
    const entry = await this.find(id);
    if (!entry) throw DomainRefusal.notFound(`no entry ${id} in the province's catalog`);
    const refusals = openRefusals(entry, use);
    if (refusals.length > 0) throw DomainRefusal.refused(refusals, { permanent: true });
    return entry;
  }

  private async find(id: string): Promise<EntryState | undefined> {
    const local = await this.entries.findById(this.dataSource.manager, id);
    if (local) return local;
    try {
      return (await this.province.entry(id)) ?? undefined;
    } catch (error) {
      throw unreachable(error);
    }
  }
}

/** A node the channel could not reach, as the 503 that names it; anything else as it was. */
export function unreachable(error: unknown): unknown {
  if (error instanceof ChannelUnreachable) {
    return new DomainRefusal('unavailable', `node ${error.node} cannot be reached now: ${error.message}; try again later`, { details: { node: error.node } });
  }
  return error;
}
