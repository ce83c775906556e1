import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { OpenCatalogPageView, OpenEntryView } from '@tdx/contracts';
import { check, type CommandSpec, pageOptions, queryOf } from '../command';
import { type Context, emit, table } from '../context';
import { OperationFailed } from '../errors';

/**
 * `tdx open`: the public's open data at any node, without signing in (Article 10): the province's
 * open catalog, one entry, and an entry's rows downloaded as CSV or JSON, streamed to standard
 * output or a file. Restricted data takes the token of an approved application (--open-token:
 * the global --token is an access token of a signed-in account, which open data never needs).
 */

function describe(e: OpenEntryView): string[] {
  return [
    `entry     ${e.id}`,
    `code      ${e.code}`,
    `name      ${e.name}`,
    `type      ${e.type}, version ${e.version}, origin ${e.origin}`,
    `summary   ${e.summary}`,
    `category  ${e.category}`,
    `grade     ${e.grade}; open ${e.openType}${e.openType === 'restricted' ? ' (needs an approved application: POST /api/v1/open/applications)' : ''}`,
    `update    ${e.updateCycle}${e.format ? `, format ${e.format}` : ''}, region ${e.regionScope}`,
    ...(e.dataItems.length ? [`items     ${e.dataItems.map((i) => `${i.name}:${i.type}`).join(', ')}`] : []),
    `updated   ${e.updatedAt}`,
  ];
}

async function listCommand(ctx: Context, o: Record<string, string | undefined>): Promise<void> {
  const page = await ctx.client.json<OpenCatalogPageView>(
    'GET',
    `/api/v1/open/catalog${queryOf(o, { q: 'q', type: 'type', limit: 'limit', cursor: 'cursor' })}`,
  );
  emit(ctx, page, () => [
    ...(page.scope === 'subtree' ? ["the province could not be reached: this node's and its subtree's open entries only"] : []),
    ...(page.items.length === 0
      ? ['no open entries']
      : table(
          ['id', 'code', 'name', 'grade', 'open', 'origin'],
          page.items.map((e) => [e.id, e.code, e.name, e.grade, e.openType, e.origin]),
        )),
    ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
  ]);
}

async function showCommand(ctx: Context, id: string): Promise<void> {
  const entry = await ctx.client.json<OpenEntryView>('GET', `/api/v1/open/entries/${id}`);
  emit(ctx, entry, () => describe(entry));
}

/** Streams the download to the file or standard output, writing no faster than it drains. */
async function getCommand(ctx: Context, id: string, o: Record<string, string | undefined>): Promise<void> {
  const format = o.format ?? 'csv';
  const response = await ctx.client.download(
    `/api/v1/open/entries/${id}/download?format=${format}`,
    o['open-token'] ? { 'x-open-token': o['open-token'] } : {},
  );
  const file: WriteStream | undefined = o.output ? createWriteStream(o.output) : undefined;
  const out = file ?? ctx.out;
  let bytes = 0;
  try {
    for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      const more = file ? file.write(chunk) : out.write(Buffer.from(chunk).toString('utf8'));
      const stream = out as { once?: unknown };
      if (more === false && typeof stream.once === 'function') await once(out as WriteStream, 'drain');
    }
  } catch (error) {
    file?.destroy();
    throw new OperationFailed(`the download was cut off after ${bytes} bytes (${(error as Error).message}): the output is incomplete, download again`);
  }
  if (file) {
    file.end();
    await once(file, 'finish');
  }
  ctx.err?.write(`tdx: downloaded ${bytes} bytes of ${format}${o.output ? ` to ${o.output}` : ''}\n`);
}

const ENTRY_ARG = { name: 'ENTRY', help: "the open entry's UUID (tdx open list)", check: check.uuid('ENTRY') };

export const openCommands: CommandSpec[] = [
  {
    name: 'open list',
    args: [],
    options: {
      q: { type: 'string', value: 'WORDS', help: 'words in the name, summary or code' },
      type: { type: 'string', choices: ['data', 'application', 'component', 'compute'], value: 'TYPE', help: 'the entry type' },
      ...pageOptions('entries'),
    },
    summary: "a page of the province's open catalog (no sign-in)",
    run: (ctx, { o }) => listCommand(ctx, o),
  },
  {
    name: 'open show',
    args: [ENTRY_ARG],
    options: {},
    summary: 'one open entry (no sign-in)',
    run: (ctx, { inv }) => showCommand(ctx, inv.args.ENTRY),
  },
  {
    name: 'open get',
    args: [ENTRY_ARG],
    options: {
      format: { type: 'string', choices: ['csv', 'json'], value: 'csv|json', help: 'the file format (default csv)' },
      output: { type: 'string', value: 'FILE', help: 'write to FILE instead of standard output' },
      'open-token': { type: 'string', value: 'TOKEN', help: 'the token of an approved application, for restricted data' },
    },
    summary: "download an open entry's rows, sensitive items masked, streamed (no sign-in)",
    run: (ctx, { inv, o }) => getCommand(ctx, inv.args.ENTRY, o),
  },
];
