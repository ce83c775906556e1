import { once } from 'node:events';
import type { Response } from 'express';
import type { EntryState, OpenRowsPageView } from '@tdx/contracts';
import { csvLine } from './open-csv';
import type { DownloadFormat } from './dto/open-data.dto';

/** Rows per page fetched for a download: one page in memory at a time, whatever the dataset's size. */
export const DOWNLOAD_PAGE = 1000;

/**
 * Writes an entry's rows to the response page by page: the next page is fetched only once the
 * previous one is handed to the socket (write() returned true, or 'drain' came), so memory stays
 * one page whatever the size of the dataset and the speed of the client. The first page was fetched
 * before (a refusal still answers as a 4xx/503); a failure later can only cut the stream, which the
 * client sees as an incomplete body (no final `]` in JSON, a short CSV without its end).
 */
export async function streamDownload(
  response: Response,
  entry: Pick<EntryState, 'code' | 'dataItems'>,
  format: DownloadFormat,
  first: OpenRowsPageView,
  next: (cursor: string) => Promise<OpenRowsPageView>,
): Promise<void> {
  const items = entry.dataItems.map((i) => i.name);
  response.status(200);
  response.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
  response.setHeader('Content-Disposition', `attachment; filename="${entry.code.replace(/[^A-Za-z0-9._-]/g, '_')}.${format}"`);
  let closed = false;
  response.on('close', () => (closed = true));
  const write = async (text: string) => {
    if (!response.write(text)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
  };
  let page: OpenRowsPageView | undefined = first;
  let firstRow = true;
  try {
    await write(format === 'csv' ? csvLine(['rowKey', 'regionCode', ...items]) : '[');
    while (page && !closed) {
      let chunk = '';
      for (const row of page.items) {
        if (format === 'csv') chunk += csvLine([row.rowKey, row.regionCode, ...items.map((name) => row.data[name])]);
        else {
          chunk += `${firstRow ? '\n' : ',\n'}${JSON.stringify(row)}`;
          firstRow = false;
        }
      }
      if (chunk) await write(chunk);
      page = page.nextCursor && !closed ? await next(page.nextCursor) : undefined;
    }
    if (!closed) response.end(format === 'json' ? '\n]\n' : undefined);
  } catch (error) {
    response.destroy(error as Error);
  }
}
