import { Injectable } from '@nestjs/common';
import type { EntryState, OpenCatalogPageView, OpenEntryView } from '@tdx/contracts';
import type { CatalogSearchQuery } from '../catalog/dto/catalog-search.query';
import { ProvinceSearch, ProvinceCatalog } from '../search/province-catalog';
import { unreachable } from './open-entries';
import { isOpenToPublic } from './open-rules';

/**
 * The province's open catalog at any node, through the province catalog: the province's answer
 * (scope 'province') or, while it is unreachable, this node's and its subtree's ('subtree').
 * Whatever the source answers, only what openRefusals lets the public see is shown.
 */
@Injectable()
export class OpenCatalogService {
  constructor(private readonly province: ProvinceCatalog) {}

  async search(query: CatalogSearchQuery): Promise<OpenCatalogPageView> {
    const search: ProvinceSearch = { q: query.q, type: query.type, openToPublic: true, cursor: query.cursor, limit: query.limit };
    const page = await this.province.search(search).catch((error: unknown) => {
      throw unreachable(error);
    });
    return { items: page.items.filter(isOpenToPublic).map(openView), nextCursor: page.nextCursor ?? null, scope: page.scope };
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
