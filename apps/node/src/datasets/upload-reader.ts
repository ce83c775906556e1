import type { DataItemType } from '@tdx/contracts';
import { hasDivisionCodeForm, isWithin } from '@tdx/divisions';
import { CsvRecordParser, CsvResult } from './csv';
import { LineSink, LineSplitter } from './lines';
import { clip, Converted, fromJson, fromText, hasUnstorable } from './values';
import { markNumbers, numberText } from './row-values';

export type UploadFormat = 'csv' | 'ndjson';

/** A problem of an upload, by line (1-based; a CSV header is line 1). */
export interface LineError {
  line: number;
  message: string;
}

/** Reading stops at this many errors: enough to fix a file, without reading gigabytes of bad rows. */
export const MAX_ERRORS = 100;
export const MAX_ROW_KEY = 200;

export const KEY_COLUMNS = { csv: ['row_key', 'region_code'], ndjson: ['rowKey', 'regionCode'] } as const;

export interface UploadSchema {
  items: { name: string; type: DataItemType }[];
  /** This node's division code: every row's region must lie inside it. */
  jurisdiction: string;
}

/**
 * Receives each row with a well-formed key, in order; `data` is the JSON text of the row's data
 * object. Once the upload has an error it will be refused, and rows come with their key only
 * (region and data null): enough to find keys given twice, so that every error is reported.
 */
export type RowSink = (line: number, rowKey: string, regionCode: string | null, data: string | null) => void;

interface Item {
  name: string;
  type: DataItemType;
  /** `"name":` as JSON, ready to prefix a value. */
  prefix: string;
}

/**
 * Turns the bytes of a CSV or NDJSON upload into checked rows for `sink`, collecting errors by
 * line. Push chunks as they arrive, then call `end()`. After the first error rows reach the sink
 * with their key only (the load will be refused anyway), and reading goes on to report up to
 * MAX_ERRORS errors. Keys given twice are found from the spooled keys (DatasetRowRepository).
 */
export class UploadReader implements LineSink {
  readonly errors: LineError[] = [];
  /** Data rows read (valid or not). */
  rowsRead = 0;
  private fatal = false;
  /** Part of the upload was read without being checked (the inside of an unterminated quote). */
  private unchecked = false;
  private readonly splitter = new LineSplitter(this);
  private readonly items: Item[];
  private readonly itemNames: Set<string>;
  private readonly csv?: CsvRecordParser;
  /** For CSV, after the header: the column of each item, and of row_key and region_code. */
  private columns?: { key: number; region: number; items: number[]; count: number };

  constructor(
    private readonly format: UploadFormat,
    private readonly schema: UploadSchema,
    private readonly sink: RowSink,
  ) {
    this.items = schema.items.map((item) => ({ ...item, prefix: `${JSON.stringify(item.name)}:` }));
    this.itemNames = new Set(schema.items.map((i) => i.name));
    if (format === 'csv') this.csv = new CsvRecordParser();
  }

  get stopped(): boolean {
    return this.fatal || this.errors.length >= MAX_ERRORS;
  }

  /**
   * True when some of the upload was never checked, so more errors may exist: reading stopped
   * before its end, or a CSV quote that never closes (or a record over 1 MiB) swallowed the lines
   * after it as one field's text.
   */
  get truncated(): boolean {
    return this.unchecked || (this.stopped && this.splitter.dropped);
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
    if (this.stopped) return;
    if (this.csv) {
      this.handle(this.csv.end());
      if (!this.columns && !this.stopped) {
        this.error(1, `the upload is empty: a CSV upload starts with the header line ${this.headerHint()}`, true);
      }
    }
  }

  // LineSink

  line(text: string, lineNo: number): void {
    if (this.csv) this.handle(this.csv.line(text, lineNo));
    else this.ndjsonLine(text, lineNo);
  }

  badEncoding(lineNo: number): void {
    this.error(lineNo, 'the line is not valid UTF-8: save the file as UTF-8 (not GBK, GB 18030 or Latin-1) and upload it again');
  }

  tooLong(lineNo: number): boolean {
    // NDJSON lines stand alone, so reading can go on after the long one; a CSV line may be inside a quoted field.
    this.error(lineNo, 'the line is longer than 1 MiB', this.format === 'csv');
    return this.format === 'ndjson';
  }

  // CSV

  private handle(result: CsvResult): void {
    if (result.kind === 'error') {
      if (result.fatal) this.unchecked = true;
      this.error(result.line, result.message, result.fatal);
    } else if (result.kind === 'record') {
      if (this.columns) this.csvRow(result.record.fields, result.record.line);
      else this.header(result.record.fields);
    }
  }

  private header(fields: (string | null)[]): void {
    const names = fields.map((f) => f ?? '');
    const expected = [...KEY_COLUMNS.csv, ...this.items.map((i) => i.name)];
    const seen = new Map<string, number>();
    const duplicated = new Set<string>();
    names.forEach((name, index) => (seen.has(name) ? duplicated.add(name) : seen.set(name, index)));
    const missing = expected.filter((name) => !seen.has(name));
    const unknown = names.filter((name) => !expected.includes(name));
    const problems = [
      ...(missing.length ? [`missing column${missing.length > 1 ? 's' : ''} ${list(missing)}`] : []),
      ...(unknown.length ? [`unknown column${unknown.length > 1 ? 's' : ''} ${list(unknown)}`] : []),
      ...(duplicated.size ? [`column${duplicated.size > 1 ? 's' : ''} ${list([...duplicated])} given more than once`] : []),
    ];
    if (problems.length > 0) {
      this.error(1, `wrong header: ${problems.join('; ')}. The columns must be ${this.headerHint()}, in any order`, true);
      return;
    }
    this.columns = {
      key: seen.get('row_key') as number,
      region: seen.get('region_code') as number,
      items: this.items.map((item) => seen.get(item.name) as number),
      count: names.length,
    };
  }

  private csvRow(fields: (string | null)[], lineNo: number): void {
    const columns = this.columns as NonNullable<UploadReader['columns']>;
    this.rowsRead++;
    if (fields.length !== columns.count) {
      this.error(lineNo, `expected ${columns.count} fields as in the header, found ${fields.length}`);
      // A key can still be told when the row has at least its column: a repeat of it is reported too.
      const key = fields[columns.key];
      if (key && key.length <= MAX_ROW_KEY && !hasUnstorable(key)) this.sink(lineNo, key, null, null);
      return;
    }
    const problems: string[] = [];
    const rowKey = this.rowKey(fields[columns.key], problems, 'row_key');
    const region = this.region(fields[columns.region], problems, 'region_code');
    let data = '{';
    for (let i = 0; i < this.items.length; i++) {
      const item = this.items[i];
      data = this.append(data, i, item, fromText(item.type, fields[columns.items[i]]), problems);
    }
    this.accept(lineNo, rowKey, region, `${data}}`, problems);
  }

  // NDJSON

  private ndjsonLine(text: string, lineNo: number): void {
    if (text.trim() === '') return;
    this.rowsRead++;
    let value: unknown;
    try {
      // Numbers kept as their text (values.ts). A line that escapes NUL is parsed plainly: its
      // strings could look like kept numbers, and NUL is refused anyway.
      value = JSON.parse(/\\u0000/i.test(text) ? text : markNumbers(text));
    } catch {
      try {
        JSON.parse(text);
      } catch (error) {
        // The message of the line as sent, its positions right.
        this.error(lineNo, `invalid JSON: ${(error as Error).message}`);
        return;
      }
      this.error(lineNo, 'invalid JSON');
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.error(lineNo, 'each line must be one JSON object {"rowKey": ..., "regionCode": ..., "<data item>": ...}');
      return;
    }
    const object = value as Record<string, unknown>;
    const problems: string[] = [];
    const unknown = Object.keys(object).filter((key) => key !== 'rowKey' && key !== 'regionCode' && !this.itemNames.has(key));
    if (unknown.length > 0) problems.push(`unknown field${unknown.length > 1 ? 's' : ''} ${list(unknown)}`);
    const keyNumber = numberText(object.rowKey);
    const keyValue = keyNumber === undefined ? object.rowKey : Number(keyNumber);
    const rowKey = this.rowKey(typeof keyValue === 'number' && Number.isSafeInteger(keyValue) ? String(keyValue) : keyValue, problems, 'rowKey');
    const regionNumber = numberText(object.regionCode);
    const region = this.region(regionNumber === undefined ? object.regionCode : Number(regionNumber), problems, 'regionCode');
    let data = '{';
    for (let i = 0; i < this.items.length; i++) {
      const item = this.items[i];
      data = this.append(data, i, item, fromJson(item.type, object[item.name]), problems);
    }
    this.accept(lineNo, rowKey, region, `${data}}`, problems);
  }

  // Rows

  private rowKey(value: unknown, problems: string[], name: string): string {
    if (value === null || value === undefined || value === '') problems.push(`${name} is empty`);
    else if (typeof value !== 'string') problems.push(`${name} must be a string`);
    else if (value.length > MAX_ROW_KEY) problems.push(`${name} is longer than ${MAX_ROW_KEY} characters`);
    else if (hasUnstorable(value)) problems.push(`${name} contains a NUL character or an unpaired surrogate`);
    else return value;
    return '';
  }

  private region(value: unknown, problems: string[], name: string): string {
    if (value === null || value === undefined || value === '') problems.push(`${name} is empty`);
    else if (!hasDivisionCodeForm(value)) problems.push(`${name} ${clip(JSON.stringify(value))} is not a six-digit division code`);
    else if (!isWithin(value, this.schema.jurisdiction)) {
      problems.push(`region code ${value} lies outside this node's jurisdiction (${this.schema.jurisdiction}) (Article 9)`);
    } else return value;
    return '';
  }

  private append(data: string, index: number, item: Item, value: Converted, problems: string[]): string {
    if ('error' in value) {
      problems.push(`${item.name}: ${value.error}`);
      return data;
    }
    return `${data}${index > 0 ? ',' : ''}${item.prefix}${value.json}`;
  }

  private accept(lineNo: number, rowKey: string, region: string, data: string, problems: string[]): void {
    if (problems.length > 0) this.error(lineNo, problems.join('; '));
    if (this.errors.length === 0) this.sink(lineNo, rowKey, region, data);
    // The key alone (rowKey() gives '' for a bad one): a repeated key is an error to report too.
    else if (rowKey !== '') this.sink(lineNo, rowKey, null, null);
  }

  private error(line: number, message: string, fatal = false): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ line, message });
    if (fatal) this.fatal = true;
  }

  private headerHint(): string {
    return [...KEY_COLUMNS.csv, ...this.items.map((i) => i.name)].join(',');
  }
}

function list(names: string[]): string {
  const shown = names.slice(0, 10).map((n) => JSON.stringify(clip(n)));
  return names.length > 10 ? `${shown.join(', ')} and ${names.length - 10} more` : shown.join(', ');
}
