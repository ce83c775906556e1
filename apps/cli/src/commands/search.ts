import type { SearchPageView } from '@tdx/contracts';
import { check, type CommandSpec, pageOptions, queryOf } from '../command';
import { type Context, emit, table } from '../context';

/**
 * `tdx search`: the whole province's catalog from this node (Article 10): words matched by
 * substring (Chinese too) and filters. The province answers; while it cannot be reached, this
 * node answers from its own and its subtree's entries, and says so.
 */
async function searchCommand(ctx: Context, words: string, o: Record<string, string | undefined>): Promise<void> {
  const query = queryOf(
    { ...o, q: words },
    {
      q: 'q',
      type: 'type',
      category: 'category',
      grade: 'grade',
      'share-type': 'shareType',
      'open-type': 'openType',
      provider: 'providerId',
      origin: 'origin',
      status: 'status',
      limit: 'limit',
      cursor: 'cursor',
    },
  );
  const page = await ctx.client.json<SearchPageView>('GET', `/api/v1/search${query}`);
  emit(ctx, page, () => [
    ...(page.scope === 'subtree' ? ["the province could not be reached: this node's and its subtree's entries only"] : []),
    ...(page.items.length === 0
      ? ['no entries found']
      : table(
          ['id', 'code', 'name', 'type', 'grade', 'share', 'open', 'origin'],
          page.items.map((e) => [e.id, e.code, e.name, e.type, e.grade, e.shareType, e.openType, e.origin]),
        )),
    ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
  ]);
}

export const searchCommands: CommandSpec[] = [
  {
    name: 'search',
    args: [{ name: 'WORDS', help: 'words in the name, summary, code or data items (all must match; Chinese by substring)', check: check.nonBlank('WORDS') }],
    options: {
      type: { type: 'string', choices: ['data', 'application', 'component', 'compute'], value: 'TYPE', help: 'the entry type' },
      category: { type: 'string', value: 'CATEGORY', help: 'the category, exactly' },
      grade: { type: 'string', choices: ['L1', 'L2', 'L3', 'L4'], value: 'GRADE', help: 'the grade' },
      'share-type': { type: 'string', choices: ['unconditional', 'conditional', 'none'], value: 'TYPE', help: 'the share type' },
      'open-type': { type: 'string', choices: ['unconditional', 'restricted', 'prohibited'], value: 'TYPE', help: 'the open type' },
      provider: { type: 'string', value: 'UUID', help: "the provider institution's UUID", check: check.uuid('--provider') },
      origin: { type: 'string', value: 'CODE', help: 'the division whose node registered the entry' },
      status: { type: 'string', choices: ['active', 'retired'], value: 'STATUS', help: 'active (default) or retired' },
      ...pageOptions('entries'),
    },
    summary: "search the whole province's catalog from this node",
    run: (ctx, { inv, o }) => searchCommand(ctx, inv.args.WORDS, o),
  },
];
