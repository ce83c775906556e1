import type { CatalogEntryView, SearchPageView } from '@tdx/contracts';
import { View } from '../../common/api-docs';
import { CatalogEntryViewDto } from '../../catalog/dto/catalog-entry.view';

export class SearchPageViewDto implements SearchPageView {
  @View.of([CatalogEntryViewDto])
  items!: CatalogEntryView[];

  @View.textOrNull({ description: 'Passed back as `cursor` for the next page; null on the last page.' })
  nextCursor!: string | null;

  @View.oneOf(['province', 'subtree'], {
    description: "province: the whole province's catalog; subtree: the province was unreachable, this node's own and its subtree's",
  })
  scope!: SearchPageView['scope'];
}
