import type { CatalogEntryView, Page } from '@tdx/contracts';
import { isUuid } from './command';
import type { Context } from './context';
import { OperationFailed, UsageError } from './errors';

/** Pages of 500 read at most when looking a code up (a code is searched as words, so few match). */
const MAX_PAGES = 10;

/**
 * An entry given by UUID or by resource code, as the UUID the API takes. A code is looked up in
 * this node's catalog (its own entries and the replicas from below, active or retired) before any
 * other work, so that a wrong one fails at once rather than after an upload.
 */
export async function resolveEntry(ctx: Context, value: string, option = '--entry'): Promise<string> {
  if (isUuid(value)) return value;
  const matches: CatalogEntryView[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ q: value, status: 'all', limit: '500' });
    if (cursor) query.set('cursor', cursor);
    const answer: Page<CatalogEntryView> = await ctx.client.json<Page<CatalogEntryView>>('GET', `/api/v1/catalog/entries?${query}`);
    matches.push(...answer.items.filter((e) => e.code === value));
    cursor = answer.nextCursor;
    if (!cursor) break;
  }
  if (matches.length === 1) return matches[0].id;
  if (matches.length === 0) {
    throw new OperationFailed(
      `no catalog entry has the code "${value}" at ${ctx.client.base} (${option} takes an entry's UUID or the code of an entry this node holds: its own or a replica from below)`,
    );
  }
  throw new UsageError(
    `the code "${value}" names ${matches.length} entries (of different origins): give ${option} one of their UUIDs: ${matches.map((e) => `${e.id} (origin ${e.origin})`).join(', ')}`,
  );
}
