import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntryState } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { Channel, ChannelCall, ChannelUnreachable } from '../channel/channel';
import { DomainRefusal } from '../common/domain-refusal';
import { cursors } from '../common/cursor';
import { strictValidationPipe } from '../common/validation';
import { isUuid } from '@tdx/contracts';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { CatalogSearchRepository } from './catalog-search.repository';
import { ProvinceCatalog, ProvinceSearch, ProvinceSearchPage } from './province-catalog';
import { SearchQuery } from './dto/search.query';

export const SEARCH_KIND = 'catalog.search';
export const ENTRY_KIND = 'catalog.entry';

/**
 * The province's catalog from any node. The province answers from its own database, which holds
 * every entry through upward replication. Any other node asks the province through the channel,
 * rather than keeping a copy of a million entries (see docs/architecture.md, "Province-wide
 * search"); while the province cannot be reached it answers from what it holds itself, its own
 * entries and its subtree's, and says so (scope 'subtree').
 */
@Injectable()
export class ProvinceCatalogService extends ProvinceCatalog implements OnModuleInit {
  private readonly logger = new Logger('Search');
  private readonly validation = strictValidationPipe();

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly channel: Channel,
    private readonly searches: CatalogSearchRepository,
    private readonly entries: CatalogEntryRepository,
  ) {
    super();
  }

  private get provinceCode(): string {
    return `${this.config.code.slice(0, 2)}0000`;
  }

  private get isProvince(): boolean {
    return this.config.code === this.provinceCode;
  }

  onModuleInit(): void {
    if (!this.isProvince) return;
    this.channel.answer(SEARCH_KIND, (call) => this.answerSearch(call));
    this.channel.answer(ENTRY_KIND, (call) => this.answerEntry(call));
  }

  async search(query: ProvinceSearch): Promise<ProvinceSearchPage> {
    if (this.isProvince) return { ...(await this.searchHere(query)), scope: 'province' };
    try {
      return await this.channel.ask<ProvinceSearchPage>(this.provinceCode, SEARCH_KIND, withoutUndefined(query));
    } catch (error) {
      if (!(error instanceof ChannelUnreachable)) throw error;
      this.logger.warn(`province ${this.provinceCode} unreachable, searching this node's subtree: ${error.message}`);
      return { ...(await this.searchHere(query)), scope: 'subtree' };
    }
  }

  async entry(id: string): Promise<EntryState | null> {
    const here = await this.entries.findById(this.dataSource.manager, id);
    if (here || this.isProvince) return here ?? null;
    return this.channel.ask<EntryState | null>(this.provinceCode, ENTRY_KIND, { id });
  }

  private async searchHere(query: ProvinceSearch): Promise<{ items: EntryState[]; nextCursor?: string }> {
    const { items, lastSeq } = await this.searches.search(this.dataSource.manager, query, cursors.seq(query.cursor));
    return items.length >= query.limit && lastSeq !== null ? { items, nextCursor: cursors.ofSeq(lastSeq) } : { items };
  }

  /** Another node's search: its body is hostile input, checked exactly as the HTTP query is. */
  private async answerSearch(call: ChannelCall): Promise<ProvinceSearchPage> {
    if (!isObject(call.body)) throw DomainRefusal.invalid([{ field: 'body', messages: ['body must be a JSON object'] }]);
    const query = (await this.validation.transform(call.body, { type: 'body', metatype: SearchQuery, data: '' })) as SearchQuery;
    return { ...(await this.searchHere(query)), scope: 'province' };
  }

  private async answerEntry(call: ChannelCall): Promise<EntryState | null> {
    const id = isObject(call.body) ? (call.body as { id?: unknown }).id : undefined;
    if (!isUuid(id) || Object.keys(call.body as object).length !== 1) {
      throw DomainRefusal.invalid([{ field: 'id', messages: ['body must be { id } with id a UUID'] }]);
    }
    return (await this.entries.findById(this.dataSource.manager, id)) ?? null;
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The query as a message body: absent filters left out, not sent as undefined. */
function withoutUndefined(query: ProvinceSearch): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
}
