/** The answer to an upload of rows (CSV or NDJSON), loaded all or nothing. */
export interface DatasetLoadView {
  entryId: string;
  /** Data rows in the upload (the CSV header is not one). */
  rowsRead: number;
  /** Keys that had no live row: new ones and former tombstones. */
  inserted: number;
  /** Live rows whose region or data changed. */
  updated: number;
  /** Rows identical to what was held; they keep their change sequence. */
  unchanged: number;
  /** The highest change sequence of the dataset after the load (0 when it holds nothing). */
  lastChangeSeq: number;
}

/** The answer to a deletion of rows (tombstones). */
export interface DatasetDeleteView {
  entryId: string;
  deleted: number;
  lastChangeSeq: number;
}

/** What a dataset holds: live and deleted rows, and live rows per region. */
export interface DatasetSummaryView {
  entryId: string;
  rows: number;
  deletedRows: number;
  lastChangeSeq: number;
  regions: { regionCode: string; rows: number }[];
}

/** One live row of a dataset, as its holder stores it. */
export interface DatasetRowView {
  rowKey: string;
  regionCode: string;
  data: Record<string, unknown>;
  changeSeq: number;
}

/** One problem of a refused upload, by line (1-based; a CSV header is line 1). */
export interface UploadErrorView {
  line: number;
  message: string;
}

/** A 400 for an upload's content: every problem up to the cap, nothing loaded; `truncated` when reading stopped at the cap. */
export interface UploadRefusalView {
  statusCode: 400;
  error: string;
  message: string;
  errors: UploadErrorView[];
  truncated: boolean;
}
