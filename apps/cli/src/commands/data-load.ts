import type { DatasetDeleteView, DatasetLoadView, DatasetRowView, DatasetSummaryView, Page } from '@tdx/contracts';
import { createReadStream, statSync } from 'node:fs';
import { Transform } from 'node:stream';
import { check, type CommandSpec, pageOptions, queryOf } from '../command';
import { type Context, emit, table } from '../context';
import { resolveEntry } from '../entries';
import { UsageError } from '../errors';
import { formatBytes, formatCount, formatDuration, percent, ProgressLine, renderBar } from '../progress';

export type LoadResult = DatasetLoadView;

const CONTENT_TYPES = { csv: 'text/csv', ndjson: 'application/x-ndjson' } as const;

/** A gzip file (`.gz`) is sent as it is, with Content-Encoding: gzip; the node inflates it as it reads. */
export function isGzip(file: string): boolean {
  return /\.gz$/i.test(file);
}

/** The format from --format, else from the file name (ignoring a `.gz`). */
export function formatOf(file: string, format: string | undefined): 'csv' | 'ndjson' {
  if (format === 'csv' || format === 'ndjson') return format;
  const name = file.replace(/\.gz$/i, '');
  if (/\.csv$/i.test(name)) return 'csv';
  if (/\.(ndjson|jsonl)$/i.test(name)) return 'ndjson';
  throw new UsageError(`cannot tell the format of "${file}" from its name: give --format csv or --format ndjson`);
}

/** Counts bytes and line ends as they go by, without holding anything. */
class Meter extends Transform {
  bytes = 0;
  lines = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines++;
    done(null, chunk);
  }
}

/** `tdx data load FILE --entry ID|CODE`: streams the file to the node with a progress bar by bytes sent. */
export async function dataLoadCommand(ctx: Context, file: string, entry: string, formatOption: string | undefined): Promise<void> {
  const format = formatOf(file, formatOption);
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new Error('not a regular file');
    size = stat.size;
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }

  // The file is checked above and the entry resolved here, both before a byte is sent.
  const entryId = await resolveEntry(ctx, entry);
  const gzip = isGzip(file);
  const meter = new Meter();
  const started = ctx.now();
  // Rows are estimated from line ends sent (a CSV's header line is not a row; a gzip file's are not
  // visible); the node's answer has the true counts.
  const rowsSent = () => (gzip ? 0 : Math.max(0, meter.lines - (format === 'csv' ? 1 : 0)));
  const progress = new ProgressLine(ctx.out, (barWidth) => {
    const seconds = Math.max(0.001, (ctx.now() - started) / 1000);
    const rate = rowsSent() / seconds;
    const eta = meter.bytes > 0 ? ((size - meter.bytes) / meter.bytes) * seconds : null;
    const rows = gzip ? '' : `  ${formatCount(rowsSent())} rows  ${formatCount(rate)} rows/s`;
    return `${renderBar(meter.bytes, size, barWidth)} ${percent(meter.bytes, size)} ${formatBytes(meter.bytes)}/${formatBytes(size)}${rows}  ETA ${formatDuration(eta)}`;
  });
  const show = !ctx.json;
  const timer = show ? setInterval(() => progress.update(), 100) : undefined;
  if (show) {
    ctx.out.write(`loading ${file} (${format}${gzip ? ', gzip' : ''}, ${formatBytes(size)}) into entry ${entryId} at ${ctx.client.base}\n`);
    progress.update(true);
  }

  let result: LoadResult;
  try {
    const body = createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(meter);
    result = await ctx.client.upload<LoadResult>(`/api/v1/datasets/${encodeURIComponent(entryId)}/rows`, body, {
      'content-type': CONTENT_TYPES[format],
      'content-length': String(size),
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
  } finally {
    if (timer) clearInterval(timer);
    if (show) progress.finish();
  }
  const seconds = (ctx.now() - started) / 1000;
  emit(ctx, result, () => [
    `loaded ${formatCount(result.rowsRead)} rows in ${seconds.toFixed(1)} s (${formatCount(result.rowsRead / Math.max(0.001, seconds))} rows/s): ` +
      `${formatCount(result.inserted)} inserted, ${formatCount(result.updated)} updated, ${formatCount(result.unchanged)} unchanged; ` +
      `change sequence now ${result.lastChangeSeq ?? '-'}`,
  ]);
}

/** `tdx data show ENTRY`: what the dataset holds, live rows per region. */
async function showCommand(ctx: Context, entry: string): Promise<void> {
  const id = await resolveEntry(ctx, entry, 'ENTRY');
  const s = await ctx.client.json<DatasetSummaryView>('GET', `/api/v1/datasets/${id}`);
  emit(ctx, s, () => [
    `dataset ${s.entryId}: ${formatCount(s.rows)} live rows, ${formatCount(s.deletedRows)} deleted, change sequence ${s.lastChangeSeq}`,
    ...(s.regions.length
      ? table(
          ['region', 'rows'],
          s.regions.map((r) => [r.regionCode, formatCount(r.rows)]),
        )
      : []),
  ]);
}

/** `tdx data rows ENTRY`: a page of the dataset's live rows, in row key order. */
async function rowsCommand(ctx: Context, entry: string, o: Record<string, string | undefined>): Promise<void> {
  const id = await resolveEntry(ctx, entry, 'ENTRY');
  const page = await ctx.client.json<Page<DatasetRowView>>(
    'GET',
    `/api/v1/datasets/${id}/rows${queryOf(o, { region: 'region', limit: 'limit', cursor: 'cursor' })}`,
  );
  emit(ctx, page, () => {
    if (page.items.length === 0) return ['no rows'];
    const names = [...new Set(page.items.flatMap((r) => Object.keys(r.data)))];
    const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
    return [
      ...table(
        ['row_key', 'region_code', ...names],
        page.items.map((r) => [r.rowKey, r.regionCode, ...names.map((n) => cell(r.data[n]))]),
      ),
      ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
    ];
  });
}

/** `tdx data delete ENTRY --keys K1,K2`: tombstones for the rows named, all or nothing (one key: the single-row call). */
async function deleteCommand(ctx: Context, entry: string, keys: string): Promise<void> {
  const rowKeys = keys.split(',');
  const id = await resolveEntry(ctx, entry, 'ENTRY');
  const answer =
    rowKeys.length === 1
      ? await ctx.client.json<DatasetDeleteView>('DELETE', `/api/v1/datasets/${id}/rows/${encodeURIComponent(rowKeys[0])}`)
      : await ctx.client.json<DatasetDeleteView>('POST', `/api/v1/datasets/${id}/rows/delete`, { rowKeys });
  emit(ctx, answer, () => [`deleted ${formatCount(answer.deleted)} rows; change sequence now ${answer.lastChangeSeq}`]);
}

const ENTRY_ARG = { name: 'ENTRY', help: "the data entry's UUID or resource code", check: check.entry };

export const dataCommands: CommandSpec[] = [
  {
    name: 'data load',
    args: [{ name: 'FILE', help: 'a CSV (with a header line) or NDJSON file' }],
    options: {
      entry: {
        type: 'string',
        required: true,
        value: 'ID|CODE',
        help: 'the data entry whose content this is: its UUID or its resource code',
        check: check.entry,
      },
      format: {
        type: 'string',
        choices: ['csv', 'ndjson'],
        value: 'csv|ndjson',
        help: 'default: from the file name (.csv; .ndjson, .jsonl; each also .gz, sent compressed)',
      },
    },
    summary: "stream a file into a data entry's content, with a progress bar",
    run: (ctx, { inv, o }) => dataLoadCommand(ctx, inv.args.FILE, o.entry as string, o.format),
  },
  {
    name: 'data show',
    args: [ENTRY_ARG],
    options: {},
    summary: "what a data entry's content holds: rows, deleted rows, rows per region",
    run: (ctx, { inv }) => showCommand(ctx, inv.args.ENTRY),
  },
  {
    name: 'data rows',
    args: [ENTRY_ARG],
    options: {
      region: {
        type: 'string',
        value: 'CODE',
        help: 'a division code or its 2- or 4-digit prefix',
        check: (v) => (/^\d{2}(\d{2}(\d{2})?)?$/.test(v) ? undefined : `--region must be 2, 4 or 6 digits (got "${v}")`),
      },
      ...pageOptions('rows', 1000, 100),
    },
    summary: "a page of a data entry's live rows, in row key order",
    run: (ctx, { inv, o }) => rowsCommand(ctx, inv.args.ENTRY, o),
  },
  {
    name: 'data delete',
    args: [ENTRY_ARG],
    options: {
      keys: {
        type: 'string',
        required: true,
        value: 'K1,K2',
        help: 'the row keys to delete, comma-separated (up to 10,000)',
        check: (v) =>
          v.split(',').every((k) => k.length > 0) && v.split(',').length <= 10_000
            ? undefined
            : '--keys must be 1 to 10,000 non-empty row keys, comma-separated',
      },
    },
    summary: 'delete rows of a data entry (tombstones that replicate to returns), all or nothing',
    run: (ctx, { inv, o }) => deleteCommand(ctx, inv.args.ENTRY, o.keys as string),
  },
];
