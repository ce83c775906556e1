import {
  type CatalogBulkView,
  type CatalogEntryView,
  DATA_ITEM_TYPES,
  ENTRY_STATUSES,
  ENTRY_TYPES,
  GRADES,
  OPEN_TYPES,
  SHARE_TYPES,
  UPDATE_CYCLES,
} from '@tdx/contracts';
import { PageViewOf, View } from '../../common/api-docs';

type DataItem = CatalogEntryView['dataItems'][number];

class DataItemViewDto implements DataItem {
  @View.text()
  name!: string;

  @View.oneOf(DATA_ITEM_TYPES)
  type!: DataItem['type'];

  @View.bool({ description: 'masked when returned below grade L3' })
  sensitive!: boolean;
}

export class CatalogEntryViewDto implements CatalogEntryView {
  @View.uuid()
  id!: string;

  @View.text({ description: 'division code of the node where it was registered', example: '330000' })
  origin!: string;

  @View.text()
  code!: string;

  @View.oneOf(ENTRY_TYPES)
  type!: CatalogEntryView['type'];

  @View.text()
  name!: string;

  @View.text()
  summary!: string;

  @View.uuid({ description: 'the institution that provides it' })
  providerId!: string;

  @View.text()
  category!: string;

  @View.oneOf(GRADES)
  grade!: CatalogEntryView['grade'];

  @View.oneOf(SHARE_TYPES)
  shareType!: CatalogEntryView['shareType'];

  @View.textOrNull()
  shareCondition!: string | null;

  @View.textOrNull()
  legalBasis!: string | null;

  @View.oneOf(OPEN_TYPES)
  openType!: CatalogEntryView['openType'];

  @View.oneOf(UPDATE_CYCLES)
  updateCycle!: CatalogEntryView['updateCycle'];

  @View.textOrNull()
  format!: string | null;

  @View.text({ description: 'division code of the area the entry covers' })
  regionScope!: string;

  @View.of([DataItemViewDto])
  dataItems!: DataItem[];

  @View.texts()
  relatedResources!: string[];

  @View.textOrNull({ description: 'YYYY-MM-DD' })
  releaseDate!: string | null;

  @View.oneOf(ENTRY_STATUSES)
  status!: CatalogEntryView['status'];

  @View.int({ description: 'counts the versions from 1: every edit and the retirement make a new one' })
  version!: number;

  @View.time()
  createdAt!: string;

  @View.time()
  updatedAt!: string;
}

export class CatalogEntryPageDto extends PageViewOf(CatalogEntryViewDto) {}

export class CatalogBulkViewDto implements CatalogBulkView {
  @View.int()
  count!: number;

  @View.of([CatalogEntryViewDto])
  items!: CatalogEntryView[];
}
