import { readFileSync } from 'node:fs';
import {
  type AuditRecordView,
  type CatalogBulkView,
  DATA_ITEM_TYPES,
  ENTRY_TYPES,
  type CatalogEntryView,
  GRADES,
  OPEN_TYPES,
  type Page,
  SHARE_TYPES,
  UPDATE_CYCLES,
} from '@tdx/contracts';
import { check, type CommandSpec, type OptionSpec, pageOptions, queryOf } from '../command';
import { type Context, emit, table } from '../context';
import { resolveEntry } from '../entries';
import { ApiError, UsageError } from '../errors';

/** The fields an option sets, by option name: the API's field and how the text becomes its value. */
const FIELD_OPTIONS: Record<string, { field: string; spec: OptionSpec; parse?: (value: string) => unknown }> = {
  name: { field: 'name', spec: { type: 'string', value: 'TEXT', help: 'the resource name', check: check.nonBlank('--name') } },
  summary: { field: 'summary', spec: { type: 'string', value: 'TEXT', help: 'what the resource holds' } },
  provider: {
    field: 'providerId',
    spec: { type: 'string', value: 'ID', help: 'the providing institution (tdx institution list)', check: check.uuid('--provider') },
  },
  category: { field: 'category', spec: { type: 'string', value: 'TEXT', help: 'the catalog category (market-regulation)' } },
  grade: { field: 'grade', spec: { type: 'string', choices: GRADES, value: GRADES.join('|'), help: 'sensitivity grade (DB33/T 2351)' } },
  'share-type': { field: 'shareType', spec: { type: 'string', choices: SHARE_TYPES, value: SHARE_TYPES.join('|'), help: 'share type (Article 10)' } },
  'share-condition': { field: 'shareCondition', spec: { type: 'string', value: 'TEXT', help: 'the condition of a conditional share type' } },
  'legal-basis': { field: 'legalBasis', spec: { type: 'string', value: 'TEXT', help: 'the legal basis of share type none' } },
  'open-type': { field: 'openType', spec: { type: 'string', choices: OPEN_TYPES, value: OPEN_TYPES.join('|'), help: 'open type' } },
  'update-cycle': { field: 'updateCycle', spec: { type: 'string', choices: UPDATE_CYCLES, value: 'CYCLE', help: UPDATE_CYCLES.join(', ') } },
  format: { field: 'format', spec: { type: 'string', value: 'TEXT', help: 'the resource format (csv)' } },
  'region-scope': {
    field: 'regionScope',
    spec: { type: 'string', value: 'CODE', help: 'the division the resource covers', check: check.division('--region-scope') },
  },
  items: {
    field: 'dataItems',
    spec: {
      type: 'string',
      value: 'NAME:TYPE[:sensitive],...',
      help: `the data items of a data entry, comma-separated; TYPE one of ${DATA_ITEM_TYPES.join(', ')}`,
      check: (v) => itemsFault(v),
    },
    parse: (v) => parseItems(v),
  },
};

const ITEM = new RegExp(`^([^:,]+):(${DATA_ITEM_TYPES.join('|')})(:sensitive)?$`);

function itemsFault(value: string): string | undefined {
  const bad = value.split(',').find((part) => !ITEM.test(part.trim()));
  return bad === undefined ? undefined : `--items: "${bad}" is not NAME:TYPE or NAME:TYPE:sensitive (TYPE one of ${DATA_ITEM_TYPES.join(', ')})`;
}

function parseItems(value: string): { name: string; type: string; sensitive: boolean }[] {
  return value.split(',').map((part) => {
    const [, name, type, sensitive] = ITEM.exec(part.trim()) as RegExpExecArray;
    return { name: name.trim(), type, sensitive: sensitive !== undefined };
  });
}

/** The body: the JSON of --file (`-` for standard input is not offered: the password prompt may own it), then the options over it. */
function bodyOf(o: Record<string, string | undefined>): Record<string, unknown> {
  let body: Record<string, unknown> = {};
  if (o.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${o.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`${o.file} is not JSON: ${(error as Error).message}`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UsageError(`${o.file} must hold one JSON object (the entry's fields)`);
  }
  for (const [option, { field, parse }] of Object.entries(FIELD_OPTIONS)) {
    const value = o[option];
    if (value !== undefined) body[field] = parse ? parse(value) : value;
  }
  return body;
}

function describe(e: CatalogEntryView): string[] {
  return [
    `entry     ${e.id}`,
    `code      ${e.code}`,
    `name      ${e.name}`,
    `type      ${e.type}, ${e.status}, version ${e.version}, origin ${e.origin}`,
    `summary   ${e.summary}`,
    `provider  ${e.providerId}`,
    `category  ${e.category}`,
    `grade     ${e.grade}; share ${e.shareType}${e.shareCondition ? ` (${e.shareCondition})` : ''}${e.legalBasis ? ` (legal basis: ${e.legalBasis})` : ''}; open ${e.openType}`,
    `update    ${e.updateCycle}${e.format ? `, format ${e.format}` : ''}, region ${e.regionScope}`,
    ...(e.dataItems.length ? [`items     ${e.dataItems.map((i) => `${i.name}:${i.type}${i.sensitive ? ':sensitive' : ''}`).join(', ')}`] : []),
    `updated   ${e.updatedAt} (registered ${e.createdAt})`,
  ];
}

async function registerCommand(ctx: Context, o: Record<string, string | undefined>): Promise<void> {
  const body = bodyOf(o);
  if (o.type !== undefined) body.type = o.type;
  if (o.code !== undefined) body.code = o.code;
  const created = await ctx.client.json<CatalogEntryView>('POST', '/api/v1/catalog/entries', body);
  emit(ctx, created, () => describe(created));
}

async function editCommand(ctx: Context, entry: string, o: Record<string, string | undefined>): Promise<void> {
  const body = bodyOf(o);
  if (o['expected-version'] !== undefined) body.expectedVersion = Number(o['expected-version']);
  if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give --file or at least one field option (tdx catalog edit --help)');
  const id = await resolveEntry(ctx, entry, 'ENTRY');
  const updated = await ctx.client.json<CatalogEntryView>('PATCH', `/api/v1/catalog/entries/${id}`, body);
  emit(ctx, updated, () => describe(updated));
}

async function retireCommand(ctx: Context, entry: string): Promise<void> {
  const id = await resolveEntry(ctx, entry, 'ENTRY');
  const retired = await ctx.client.json<CatalogEntryView>('DELETE', `/api/v1/catalog/entries/${id}`);
  emit(ctx, retired, () => [`retired ${retired.code} ${retired.name} (version ${retired.version})`]);
}

/** `tdx catalog import FILE`: a JSON array of entries, registered all or none (the node's bulk call, up to 1,000). */
async function importCommand(ctx: Context, file: string): Promise<void> {
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read ${file} as JSON: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > 1000) throw new UsageError(`${file} must hold a JSON array of 1 to 1,000 entries`);
  const answer = await ctx.client.json<CatalogBulkView>('POST', '/api/v1/catalog/entries/bulk', { entries });
  emit(ctx, answer, () => [
    `registered ${answer.count} entries`,
    ...table(
      ['id', 'code', 'name'],
      answer.items.map((e) => [e.id, e.code, e.name]),
    ),
  ]);
}

const LIST_QUERY = { q: 'q', type: 'type', scope: 'scope', origin: 'origin', status: 'status', limit: 'limit', cursor: 'cursor' };

async function listCommand(ctx: Context, o: Record<string, string | undefined>): Promise<void> {
  const page = await ctx.client.json<Page<CatalogEntryView>>('GET', `/api/v1/catalog/entries${queryOf(o, LIST_QUERY)}`);
  emit(ctx, page, () => [
    ...(page.items.length === 0
      ? ['no entries']
      : table(
          ['id', 'code', 'name', 'type', 'grade', 'share', 'status', 'version', 'origin'],
          page.items.map((e) => [e.id, e.code, e.name, e.type, e.grade, e.shareType, e.status, String(e.version), e.origin]),
        )),
    ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
  ]);
}

/** A change to the entry as the audit log of its origin recorded it (registration, each edit, retirement). */
interface EntryChange {
  at: string;
  actor: string;
  change: string;
  outcome: string;
}

function changeOf(r: AuditRecordView): EntryChange {
  const method = r.action.split(' ')[0];
  const change = method === 'POST' ? 'registered' : method === 'PATCH' ? 'new version' : method === 'DELETE' ? 'retired' : r.action;
  return { at: r.at, actor: r.actor, change, outcome: r.outcome };
}

/** The entry's changes from the audit log, oldest first; null when this account may not read the log. */
async function changesOf(ctx: Context, id: string): Promise<EntryChange[] | null> {
  try {
    const page = await ctx.client.json<Page<AuditRecordView>>('GET', `/api/v1/audit?target=${id}&limit=500`);
    return page.items.filter((r) => /^(POST|PATCH|DELETE) \/api\/v1\/catalog\/entries/.test(r.action) && /^2\d\d$/.test(r.outcome)).map(changeOf);
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return null;
    throw error;
  }
}

async function showCommand(ctx: Context, entry: string): Promise<void> {
  const id = await resolveEntry(ctx, entry, 'ENTRY');
  const found = await ctx.client.json<CatalogEntryView>('GET', `/api/v1/catalog/entries/${id}`);
  const changes = await changesOf(ctx, id);
  emit(ctx, { entry: found, changes }, () => [
    ...describe(found),
    `versions  ${found.version} (now)${changes === null ? '; the changes need the audit:read permission' : changes.length === 0 ? '; no changes recorded at this node (a replica: see the origin)' : ''}`,
    ...(changes ?? []).map((c) => `  ${c.at}  ${c.change} by ${c.actor}`),
  ]);
}

const ENTRY_ARG = { name: 'ENTRY', help: "the entry's UUID or resource code", check: check.entry };
const FIELD_SPECS: Record<string, OptionSpec> = {
  file: { type: 'string', value: 'FILE', help: "a JSON object of the entry's fields (the API's names); the options below override it" },
  ...Object.fromEntries(Object.entries(FIELD_OPTIONS).map(([name, f]) => [name, f.spec])),
};
const FILTERS: Record<string, OptionSpec> = {
  type: { type: 'string', choices: ENTRY_TYPES, value: ENTRY_TYPES.join('|'), help: 'only entries of this type' },
  scope: { type: 'string', choices: ['local', 'subtree'], value: 'local|subtree', help: 'registered here, or also the replicas from below (default subtree)' },
  origin: { type: 'string', value: 'CODE', help: 'only those registered at this division', check: check.division('--origin') },
  status: { type: 'string', choices: ['active', 'retired', 'all'], value: 'active|retired|all', help: 'default active' },
  ...pageOptions('entries'),
};

export const catalogCommands: CommandSpec[] = [
  {
    name: 'catalog register',
    args: [],
    options: {
      type: { type: 'string', choices: ENTRY_TYPES, value: ENTRY_TYPES.join('|'), help: 'the resource type (Article 11); or in --file' },
      code: { type: 'string', value: 'CODE', help: 'the resource code (default: generated)', check: check.entry },
      ...FIELD_SPECS,
    },
    summary: 'register a catalog entry at this node (fields from --file and the options)',
    run: (ctx, { o }) => registerCommand(ctx, o),
  },
  {
    name: 'catalog import',
    args: [{ name: 'FILE', help: "a JSON array of entries (each as catalog register's --file)" }],
    options: {},
    summary: 'register up to 1,000 entries from a file, all or none (bad ones named by number)',
    run: (ctx, { inv }) => importCommand(ctx, inv.args.FILE),
  },
  {
    name: 'catalog edit',
    args: [ENTRY_ARG],
    options: {
      ...FIELD_SPECS,
      'expected-version': {
        type: 'string',
        value: 'N',
        help: 'refuse unless the entry is still at version N',
        check: check.positiveInteger('--expected-version'),
      },
    },
    summary: 'make a new version of an entry registered here: the fields given change, the others stay',
    run: (ctx, { inv, o }) => editCommand(ctx, inv.args.ENTRY, o),
  },
  {
    name: 'catalog retire',
    args: [ENTRY_ARG],
    options: {},
    summary: 'retire an entry registered here (a last version; final)',
    run: (ctx, { inv }) => retireCommand(ctx, inv.args.ENTRY),
  },
  {
    name: 'catalog list',
    args: [],
    options: { q: { type: 'string', value: 'WORDS', help: 'words in the name, summary or code' }, ...FILTERS },
    summary: 'a page of the entries this node holds (its own and the replicas from below)',
    run: (ctx, { o }) => listCommand(ctx, o),
  },
  {
    name: 'catalog search',
    args: [
      {
        name: 'WORDS',
        help: 'words in the name, summary or code',
        check: (v) => (v.length >= 1 && v.length <= 200 ? undefined : 'WORDS must be 1 to 200 characters'),
      },
    ],
    options: FILTERS,
    summary: 'search the entries this node holds by name, summary or code',
    run: (ctx, { inv, o }) => listCommand(ctx, { ...o, q: inv.args.WORDS }),
  },
  {
    name: 'catalog show',
    args: [ENTRY_ARG],
    options: {},
    summary: 'one entry, with its version and the changes that made it (from the audit log)',
    run: (ctx, { inv }) => showCommand(ctx, inv.args.ENTRY),
  },
];
