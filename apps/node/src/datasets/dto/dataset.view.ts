import type { DatasetDeleteView, DatasetLoadView, DatasetRowView, DatasetSummaryView, UploadErrorView, UploadRefusalView } from '@tdx/contracts';
import { PageViewOf, View } from '../../common/api-docs';

export class DatasetLoadViewDto implements DatasetLoadView {
  @View.uuid()
  entryId!: string;

  @View.int({ description: 'data rows in the upload (a CSV header is not one)' })
  rowsRead!: number;

  @View.int({ description: 'keys that had no live row' })
  inserted!: number;

  @View.int({ description: 'live rows whose region or data changed' })
  updated!: number;

  @View.int({ description: 'rows identical to what was held' })
  unchanged!: number;

  @View.int({ description: 'the highest change sequence of the dataset after the load (0 when it holds nothing)' })
  lastChangeSeq!: number;
}

export class DatasetDeleteViewDto implements DatasetDeleteView {
  @View.uuid()
  entryId!: string;

  @View.int()
  deleted!: number;

  @View.int()
  lastChangeSeq!: number;
}

class RegionCountDto {
  @View.text()
  regionCode!: string;

  @View.int()
  rows!: number;
}

export class DatasetSummaryViewDto implements DatasetSummaryView {
  @View.uuid()
  entryId!: string;

  @View.int({ description: 'live rows' })
  rows!: number;

  @View.int()
  deletedRows!: number;

  @View.int()
  lastChangeSeq!: number;

  @View.of([RegionCountDto], { description: 'live rows per region' })
  regions!: { regionCode: string; rows: number }[];
}

export class DatasetRowViewDto implements DatasetRowView {
  @View.text()
  rowKey!: string;

  @View.text()
  regionCode!: string;

  @View.json({ description: "the row's data items by name" })
  data!: Record<string, unknown>;

  @View.int()
  changeSeq!: number;
}

export class DatasetRowPageDto extends PageViewOf(DatasetRowViewDto) {}

class UploadErrorViewDto implements UploadErrorView {
  @View.int({ description: '1-based; a CSV header is line 1' })
  line!: number;

  @View.text()
  message!: string;
}

/** A 400 for an upload's content: every problem up to the cap, nothing loaded. */
export class UploadRefusalViewDto implements UploadRefusalView {
  @View.int({ example: 400 })
  statusCode!: 400;

  @View.text()
  error!: string;

  @View.text()
  message!: string;

  @View.of([UploadErrorViewDto])
  errors!: UploadErrorView[];

  @View.bool({ description: 'reading stopped at the error cap: the file may hold more' })
  truncated!: boolean;
}
