import { SHARE_STATES, type Page, type ShareDeliveryView, type SharedRow, type ShareRowsView, type ShareView } from '@tdx/contracts';
import { check, type CommandSpec } from '../command';
import { type Context, emit, table } from '../context';
import { resolveEntry } from '../entries';
import { OperationFailed, UnreachableError, UsageError } from '../errors';
import { UNREACHABLE_GRACE_MS } from './returns';

/** `tdx share ...`: sharing between institutions anywhere in the province (Article 10). */

const SHARE_ID = { name: 'ID', help: 'the share request', check: check.uuid('ID') };
const ITEM_LIST = /^[\p{L}_][\p{L}\p{N}_]*(,[\p{L}_][\p{L}\p{N}_]*)*$/u;
const REGION_LIST = /^\d{6}(,\d{6})*$/;

function describe(s: ShareView): string[] {
  const lines = [
    `share     ${s.id} (${s.side})`,
    `state     ${s.state}${s.reason ? ` (${s.reason})` : ''}${s.rule ? ` [${s.rule}]` : ''}${s.overdue ? ' OVERDUE' : ''}`,
    `entry     ${s.entry.name} (${s.entry.code}) ${s.entryId}, provided at ${s.provider}, asked by ${s.consumer}`,
    `items     ${s.items.join(', ')}`,
    `regions   ${s.regions.join(', ')}`,
    `purpose   ${s.purpose}`,
    `expires   ${s.expiresAt}${s.deadline ? `; decision due ${s.deadline}` : ''}`,
  ];
  for (const h of s.history) lines.push(`  ${h.at}  ${h.state} at ${h.by} by ${h.actor}${h.note ? `: ${h.note}` : ''}`);
  return lines;
}

const path = (id: string, action = '') => `/api/v1/shares/${encodeURIComponent(id)}${action}`;

export async function shareRequestCommand(ctx: Context, o: Record<string, string | undefined>): Promise<void> {
  const body = {
    entryId: await resolveEntry(ctx, o.entry as string),
    items: (o.items as string).split(','),
    regions: (o.regions as string).split(','),
    purpose: o.purpose as string,
    expiresAt: new Date(o.expires as string).toISOString(),
    ...(o.institution ? { institutionId: o.institution } : {}),
  };
  const share = await ctx.client.json<ShareView>('POST', '/api/v1/shares', body);
  emit(ctx, share, () => [...describe(share), `sent to ${share.provider}; follow it: tdx share show ${share.id}`]);
}

async function act(ctx: Context, id: string, action: string, body: Record<string, string>): Promise<void> {
  const share = await ctx.client.json<ShareView>('POST', path(id, `/${action}`), body);
  emit(ctx, share, () => describe(share));
}

export async function shareListCommand(ctx: Context, o: Record<string, string | undefined>, overdue: boolean): Promise<void> {
  const query = new URLSearchParams({ limit: '500' });
  if (o.direction) query.set('direction', o.direction);
  if (o.state) query.set('state', o.state);
  if (overdue) query.set('overdue', 'true');
  if (o.cursor) query.set('cursor', o.cursor);
  const page = await ctx.client.json<Page<ShareView>>('GET', `/api/v1/shares?${query}`);
  emit(ctx, page, () => [
    ...(page.items.length === 0
      ? ['no share requests']
      : table(
          ['id', 'side', 'state', 'entry', 'provider', 'consumer', 'deadline', 'expires'],
          page.items.map((s) => [
            s.id,
            s.side,
            `${s.state}${s.overdue ? ' (overdue)' : ''}`,
            s.entry.name,
            s.provider,
            s.consumer,
            s.deadline ?? '',
            s.expiresAt,
          ]),
        )),
    ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
  ]);
}

/** A CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break. */
function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export async function shareQueryCommand(ctx: Context, id: string, o: Record<string, string | undefined>, csv: boolean): Promise<void> {
  if (csv && ctx.json) throw new UsageError('--csv and --json are two ways of printing: choose one');
  let filters: Record<string, unknown> | undefined;
  if (o.filter) {
    try {
      filters = JSON.parse(o.filter) as Record<string, unknown>;
    } catch {
      throw new UsageError('--filter must be a JSON object, e.g. {"company":"Acme"}');
    }
  }
  const body = {
    fields: (o.fields as string).split(','),
    ...(o.regions ? { regions: o.regions.split(',') } : {}),
    ...(filters ? { filters } : {}),
    ...(o.cursor ? { cursor: o.cursor } : {}),
    ...(o.limit ? { limit: Number(o.limit) } : {}),
  };
  const page = await ctx.client.json<ShareRowsView>('POST', path(id, '/query'), body);
  if (csv) {
    ctx.out.write(`${['row_key', 'region_code', ...page.fields].map(csvCell).join(',')}\n`);
    for (const r of page.items) ctx.out.write(`${[r.rowKey, r.regionCode, ...page.fields.map((f) => r.data[f])].map(csvCell).join(',')}\n`);
    if (page.nextCursor) ctx.err?.write(`next page: --cursor ${page.nextCursor}\n`);
    return;
  }
  emit(ctx, page, () => [
    ...(page.items.length === 0
      ? ['no rows']
      : table(
          ['row_key', 'region_code', ...page.fields],
          page.items.map((r) => [r.rowKey, r.regionCode, ...page.fields.map((f) => (r.data[f] === null || r.data[f] === undefined ? '' : String(r.data[f])))]),
        )),
    ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
  ]);
}

function deliveryLine(d: ShareDeliveryView): string {
  const counts = `${d.rowsDone} rows in ${d.chunks} chunks (${d.upserts} written, ${d.deletes} deleted) up to change ${d.afterSeq}`;
  const why = d.state === 'refused' ? `: ${d.rule ? `[${d.rule}] ` : ''}${d.lastError ?? ''}` : d.lastError ? ` (retrying: ${d.lastError})` : '';
  return `delivery ${d.id} (${d.kind}) ${d.state}: ${counts}${why}`;
}

/**
 * `tdx share deliver ID`: starts a delivery of the grant into this node and, unless --detach,
 * follows it until it ends: exit 0 when done, 1 when the provider refused it (the rule shown).
 */
export async function shareDeliverCommand(ctx: Context, id: string, wait: boolean, intervalMs = 1000): Promise<void> {
  let delivery = await ctx.client.json<ShareDeliveryView>('POST', path(id, '/deliveries'));
  if (!wait) {
    emit(ctx, delivery, () => [deliveryLine(delivery), `follow it: tdx share deliver ${id} (the one running is followed)`]);
    return;
  }
  let unreachableSince: number | undefined;
  let last = '';
  while (delivery.state === 'running') {
    if (!ctx.json) {
      const line = deliveryLine(delivery);
      if (line !== last) ctx.out.write(`${line}\n`);
      last = line;
    }
    await ctx.sleep(intervalMs);
    try {
      delivery = await ctx.client.json<ShareDeliveryView>('GET', path(id, `/deliveries/${encodeURIComponent(delivery.id)}`));
      unreachableSince = undefined;
    } catch (error) {
      // The node restarting mid-delivery is expected (the delivery resumes): keep following for a while.
      if (!(error instanceof UnreachableError)) throw error;
      unreachableSince ??= ctx.now();
      if (ctx.now() - unreachableSince > UNREACHABLE_GRACE_MS) throw error;
    }
  }
  if (delivery.state === 'refused') throw new OperationFailed(deliveryLine(delivery), delivery);
  const done = delivery;
  emit(ctx, done, () => [deliveryLine(done), `read them here: tdx share rows ${id}`]);
}

export async function shareRowsCommand(ctx: Context, id: string, o: Record<string, string | undefined>): Promise<void> {
  const query = new URLSearchParams();
  for (const name of ['region', 'limit', 'cursor'] as const) if (o[name] !== undefined) query.set(name, o[name] as string);
  const page = await ctx.client.json<Page<SharedRow>>('GET', path(id, `/rows?${query}`));
  const fields = [...new Set(page.items.flatMap((r) => Object.keys(r.data)))];
  emit(ctx, page, () => [
    ...(page.items.length === 0
      ? ['no rows delivered here (tdx share deliver first)']
      : table(
          ['row_key', 'region_code', ...fields],
          page.items.map((r) => [r.rowKey, r.regionCode, ...fields.map((f) => (r.data[f] === null || r.data[f] === undefined ? '' : String(r.data[f])))]),
        )),
    ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
  ]);
}

const reason = (help: string) => ({ type: 'string' as const, required: true, value: 'TEXT', help, check: check.nonBlank('--reason') });

export const shareCommands: CommandSpec[] = [
  {
    name: 'share request',
    args: [],
    options: {
      entry: {
        type: 'string',
        required: true,
        value: 'ID|CODE',
        help: "the data entry: its UUID (any node's), or a code this node's catalog knows",
        check: check.entry,
      },
      items: {
        type: 'string',
        required: true,
        value: 'A,B',
        help: 'data items, separated by commas',
        check: (v) => (ITEM_LIST.test(v) ? undefined : '--items must be data item names separated by commas'),
      },
      regions: {
        type: 'string',
        required: true,
        value: 'CODE,CODE',
        help: 'division codes whose rows are needed',
        check: (v) => (REGION_LIST.test(v) ? undefined : '--regions must be six-digit division codes separated by commas'),
      },
      purpose: { type: 'string', required: true, value: 'TEXT', help: 'what the data is for', check: check.nonBlank('--purpose') },
      expires: {
        type: 'string',
        required: true,
        value: 'TIME',
        help: 'when the grant ends (ISO 8601)',
        check: (v) => (Number.isNaN(Date.parse(v)) ? `--expires must be a time (ISO 8601), got "${v}"` : undefined),
      },
      institution: { type: 'string', value: 'UUID', help: 'the requesting institution, when you act for several', check: check.uuid('--institution') },
    },
    summary: 'ask any institution of the province for a data resource (Article 10)',
    run: (ctx, { o }) => shareRequestCommand(ctx, o),
  },
  {
    name: 'share approve',
    args: [SHARE_ID],
    options: {
      reason: reason('why, shown at both ends'),
      expires: {
        type: 'string',
        value: 'TIME',
        help: 'an earlier expiry than asked (ISO 8601)',
        check: (v) => (Number.isNaN(Date.parse(v)) ? `--expires must be a time (ISO 8601), got "${v}"` : undefined),
      },
    },
    summary: 'grant a request for an entry of this node (at the provider)',
    run: (ctx, { inv, o }) =>
      act(ctx, inv.args.ID, 'approve', { reason: o.reason as string, ...(o.expires ? { expiresAt: new Date(o.expires).toISOString() } : {}) }),
  },
  {
    name: 'share reject',
    args: [SHARE_ID],
    options: { reason: reason('why, told to the consumer') },
    summary: 'reject a request for an entry of this node (at the provider)',
    run: (ctx, { inv, o }) => act(ctx, inv.args.ID, 'reject', { reason: o.reason as string }),
  },
  {
    name: 'share revoke',
    args: [SHARE_ID],
    options: { reason: reason('why, told to the consumer') },
    summary: 'end a grant at once (at the provider): the next query is refused',
    run: (ctx, { inv, o }) => act(ctx, inv.args.ID, 'revoke', { reason: o.reason as string }),
  },
  {
    name: 'share withdraw',
    args: [SHARE_ID],
    options: { reason: reason('why, told to the provider') },
    summary: 'withdraw a request or a grant this node asked for (at the consumer)',
    run: (ctx, { inv, o }) => act(ctx, inv.args.ID, 'withdraw', { reason: o.reason as string }),
  },
  {
    name: 'share list',
    args: [],
    options: {
      direction: { type: 'string', choices: ['outgoing', 'incoming'], value: 'outgoing|incoming', help: 'requests made here, or for entries of this node' },
      state: { type: 'string', choices: [...SHARE_STATES], value: 'STATE', help: SHARE_STATES.join(', ') },
      overdue: { type: 'boolean', help: 'only requests undecided past their deadline' },
      cursor: { type: 'string', value: 'CURSOR', help: 'the next page, as the last one said' },
    },
    summary: 'list share requests, with their state, deadline and expiry',
    run: (ctx, { inv, o }) => shareListCommand(ctx, o, inv.options.overdue === true),
  },
  {
    name: 'share show',
    args: [SHARE_ID],
    options: {},
    summary: 'one share request with its history',
    run: async (ctx, { inv }) => {
      const share = await ctx.client.json<ShareView>('GET', path(inv.args.ID));
      emit(ctx, share, () => describe(share));
    },
  },
  {
    name: 'share query',
    args: [SHARE_ID],
    options: {
      fields: {
        type: 'string',
        required: true,
        value: 'A,B',
        help: 'data items within the grant',
        check: (v) => (ITEM_LIST.test(v) ? undefined : '--fields must be data item names separated by commas'),
      },
      regions: {
        type: 'string',
        value: 'CODE,CODE',
        help: "within the grant's regions; all of them by default",
        check: (v) => (REGION_LIST.test(v) ? undefined : '--regions must be six-digit division codes separated by commas'),
      },
      filter: { type: 'string', value: 'JSON', help: 'equality filters on non-sensitive items, e.g. {"company":"Acme"}' },
      limit: { type: 'string', value: 'N', help: 'rows per page (at most 1000; default 100)', check: check.limit(1000) },
      cursor: { type: 'string', value: 'CURSOR', help: 'the next page, as the last one said' },
      csv: { type: 'boolean', help: 'print the rows as CSV (the next cursor on standard error)' },
    },
    summary: "rows through a grant, from the provider's node (the grant checked there on every call)",
    run: (ctx, { inv, o }) => shareQueryCommand(ctx, inv.args.ID, o, inv.options.csv === true),
  },
  {
    name: 'share deliver',
    args: [SHARE_ID],
    options: { detach: { type: 'boolean', help: 'start it and return at once, without following it' } },
    summary: 'copy every row of a grant into this node (full, then only changes); follows it until done, exit 1 if refused',
    run: (ctx, { inv }) => shareDeliverCommand(ctx, inv.args.ID, inv.options.detach !== true),
  },
  {
    name: 'share rows',
    args: [SHARE_ID],
    options: {
      region: { type: 'string', value: 'CODE', help: "only rows inside this division (within the grant's regions)" },
      limit: { type: 'string', value: 'N', help: 'rows per page, 1 to 5000 (default 100)', check: check.limit(5000) },
      cursor: { type: 'string', value: 'CURSOR', help: 'the next page, as the last one said' },
    },
    summary: 'the rows delivered to this node for a grant (at the consumer)',
    run: (ctx, { inv, o }) => shareRowsCommand(ctx, inv.args.ID, o),
  },
];
