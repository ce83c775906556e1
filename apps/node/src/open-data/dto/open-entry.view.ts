import {
  DATA_ITEM_TYPES,
  ENTRY_TYPES,
  GRADES,
  OPEN_APPLICATION_STATES,
  OPEN_TYPES,
  type OpenApplicationCreatedView,
  type OpenApplicationView,
  type OpenCatalogPageView,
  type OpenEntryView,
  type OpenRowsPageView,
  type OpenRowView,
  UPDATE_CYCLES,
} from '@tdx/contracts';
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

/** One page of the province's open catalog. */
export class OpenCatalogPageDto extends PageViewOf(OpenEntryViewDto) implements OpenCatalogPageView {
  @View.oneOf(['province', 'subtree'], { description: "'subtree': the province could not be reached; this node's and its subtree's entries only" })
  scope!: OpenCatalogPageView['scope'];
}

export class OpenRowViewDto implements OpenRowView {
  @View.text()
  rowKey!: string;

  @View.text()
  regionCode!: string;

  @View.json({ description: 'the data items, sensitive ones masked by the grade' })
  data!: Record<string, unknown>;
}

export class OpenRowsPageDto implements OpenRowsPageView {
  @View.uuid()
  entryId!: string;

  @View.of([OpenRowViewDto])
  items!: OpenRowView[];

  @View.textOrNull({ description: 'Passed back as `cursor` for the next page; null on the last page.' })
  nextCursor!: string | null;
}

export class OpenApplicationViewDto implements OpenApplicationView {
  @View.uuid()
  id!: string;

  @View.uuid()
  entryId!: string;

  @View.text()
  origin!: string;

  @View.text()
  appliedAt!: string;

  @View.text()
  applicantName!: string;

  @View.text()
  organisation!: string;

  @View.text()
  contact!: string;

  @View.text()
  purpose!: string;

  @View.oneOf(OPEN_APPLICATION_STATES)
  state!: OpenApplicationView['state'];

  @View.textOrNull()
  reason!: string | null;

  @View.timeOrNull()
  decidedAt!: string | null;

  @View.timeOrNull()
  expiresAt!: string | null;

  @View.time()
  createdAt!: string;
}

export class OpenApplicationPageDto extends PageViewOf(OpenApplicationViewDto) {}

export class OpenApplicationCreatedDto implements OpenApplicationCreatedView {
  @View.of(OpenApplicationViewDto)
  application!: OpenApplicationView;

  @View.text({ description: 'shown this once: the node keeps only its hash' })
  token!: string;
}
