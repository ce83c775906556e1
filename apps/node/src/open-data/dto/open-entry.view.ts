import { DATA_ITEM_TYPES, ENTRY_TYPES, GRADES, OPEN_TYPES, type OpenEntryView, UPDATE_CYCLES } from '@tdx/contracts';
import { PageViewOf, View } from '../../common/api-docs';

type OpenDataItem = OpenEntryView['dataItems'][number];

class OpenDataItemViewDto implements OpenDataItem {
  @View.text()
  name!: string;

  @View.oneOf(DATA_ITEM_TYPES)
  type!: OpenDataItem['type'];
}

/** What the public sees of an open entry. */
export class OpenEntryViewDto implements OpenEntryView {
  @View.uuid()
  id!: string;

  @View.text()
  origin!: string;

  @View.text()
  code!: string;

  @View.oneOf(ENTRY_TYPES)
  type!: OpenEntryView['type'];

  @View.text()
  name!: string;

  @View.text()
  summary!: string;

  @View.text()
  category!: string;

  @View.oneOf(GRADES)
  grade!: OpenEntryView['grade'];

  @View.oneOf(OPEN_TYPES)
  openType!: OpenEntryView['openType'];

  @View.oneOf(UPDATE_CYCLES)
  updateCycle!: OpenEntryView['updateCycle'];

  @View.textOrNull()
  format!: string | null;

  @View.text()
  regionScope!: string;

  @View.textOrNull({ description: 'YYYY-MM-DD' })
  releaseDate!: string | null;

  @View.int()
  version!: number;

  @View.time()
  updatedAt!: string;

  @View.of([OpenDataItemViewDto])
  dataItems!: OpenDataItem[];
}

export class OpenEntryPageDto extends PageViewOf(OpenEntryViewDto) {}
