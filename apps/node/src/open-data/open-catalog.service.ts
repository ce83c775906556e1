import { Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntryState, OpenCatalogPageView, OpenEntryView } from '@tdx/contracts';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import type { CatalogSearchQuery } from '../catalog/dto/catalog-search.query';
import { cursors } from '../common/cursor';
import { pageOf } from '../common/paging';
import { ProvinceSearch, ProvinceCatalog } from '../search/province-catalog';
import { isOpenToPublic } from './open-rules';

/**
 * The province's open catalog at any node: through the province catalog (scope 'province'), or,
 * when it is unreachable or this node has none, this node's and its subtree's entries ('subtree').
 * Whatever the source answers, only what openRefusals lets the public see is shown.
 */
@Injectable()
export class OpenCatalogService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly entries: CatalogEntryRepository,
    @Optional() private readonly province?: ProvinceCatalog,
  ) {}

  async search(query: CatalogSearchQuery): Promise<OpenCatalogPageView> {
    if (this.province) {
      const search: ProvinceSearch = { q: query.q, type: query.type, openToPublic: true, cursor: query.cursor, limit: query.limit };
      const page = await this.province.search(search);
      return { items: page.items.filter(isOpenToPublic).map(openView), nextCursor: page.nextCursor ?? null, scope: page.scope };
    }
    const { items, lastSeq } = await this.entries.list(this.dataSource.manager, {
      q: query.q,
      type: query.type,
      status: 'active',
      openToPublic: true,
      afterSeq: cursors.seq(query.cursor),
      limit: query.limit,
    });
    const page = pageOf(items.filter(isOpenToPublic).map(openView), query.limit, lastSeq === null ? undefined : cursors.ofSeq(lastSeq), items.length);
    return { ...page, scope: 'subtree' };
  }
}

/** What the public sees of an entry: no provider id, no sharing conditions, no sensitive flags. */
export function openView(e: EntryState): OpenEntryView {
  return {
    id: e.id,
    origin: e.origin,
    code: e.code,
    type: e.type,
    name: e.name,
    summary: e.summary,
    category: e.category,
    grade: e.grade,
    openType: e.openType,
    updateCycle: e.updateCycle,
    format: e.format,
    regionScope: e.regionScope,
    releaseDate: e.releaseDate,
    version: e.version,
    updatedAt: e.updatedAt,
    dataItems: e.dataItems.map(({ name, type }) => ({ name, type })),
  };
}
