import { RETURN_STATES, type Page, type ReturnedRowView, type ReturnJobView, type ReturnRequestState, type ReturnRequestView } from '@tdx/contracts';
import { check, type CommandSpec } from '../command';
import { type Context, emit, table } from '../context';
import { resolveEntry } from '../entries';
import { OperationFailed, UnreachableError, UsageError } from '../errors';
import { formatCount, formatDuration, percent, ProgressLine, renderBar } from '../progress';

/** The node's answers, as libs/contracts defines them for the node's handlers. */
export type ReturnRequest = ReturnRequestView;
export type ReturnJob = ReturnJobView;

const REFUSED_STATES: ReadonlySet<ReturnRequest['state']> = new Set(['rejected', 'refused']);

/** The entry's name and resource code (requests recorded before the code was sent lack it). */
function entryLabel(r: ReturnRequest): string {
  return `${r.entry.name}${r.entry.code ? ` (${r.entry.code})` : ''}`;
}

function describeRequest(r: ReturnRequest): string[] {
  const lines = [
    `request   ${r.id}`,
    `state     ${r.state}${r.reason ? ` (${r.reason})` : ''}`,
    `entry     ${entryLabel(r)} ${r.entryId}, held by ${r.holder}, for ${r.requester} (${r.scope})`,
    `purpose   ${r.purpose}`,
  ];
  if (r.lastCheckedAt) lines.push(`checked   ${r.lastCheckedAt}${r.lastSyncAt ? `, last transfer ${r.lastSyncAt}` : ''}`);
  for (const h of r.history) {
    lines.push(`  ${h.at}  ${h.state}${h.by ? ` by ${h.by}` : ''}${h.note ? `: ${h.note}` : ''}`);
  }
  return lines;
}

export async function requestCommand(ctx: Context, given: { entry: string; holder: string; scope: string; purpose: string }): Promise<void> {
  const body = { entryId: await resolveEntry(ctx, given.entry), holder: given.holder, scope: given.scope, purpose: given.purpose };
  const request = await ctx.client.json<ReturnRequest>('POST', '/api/v1/returns/requests', body);
  // A request the holder refuses outright (share type `none`) is recorded, and the command fails.
  if (REFUSED_STATES.has(request.state)) {
    throw new OperationFailed(`the request was ${request.state}${request.reason ? `: ${request.reason}` : ''} (request ${request.id})`, request);
  }
  emit(ctx, request, () => [
    ...describeRequest(request),
    request.state === 'granted' ? `next: tdx return sync ${request.id} --watch` : `waiting for an operator at ${request.holder} to approve it`,
  ]);
}

export async function decideCommand(ctx: Context, id: string, decision: 'approve' | 'reject', text: string | undefined): Promise<void> {
  const body = decision === 'approve' ? (text ? { note: text } : {}) : { reason: text };
  const request = await ctx.client.json<ReturnRequest>('POST', `/api/v1/returns/requests/${encodeURIComponent(id)}/${decision}`, body);
  emit(ctx, request, () => describeRequest(request));
}

/** `tdx return withdraw ID [--reason]`: at the requester. */
export async function withdrawCommand(ctx: Context, id: string, reason: string | undefined): Promise<void> {
  const request = await ctx.client.json<ReturnRequest>('POST', `/api/v1/returns/requests/${encodeURIComponent(id)}/withdraw`, reason ? { reason } : {});
  emit(ctx, request, () => describeRequest(request));
}

/** `tdx return revoke ID --reason`: at the holder. */
export async function revokeCommand(ctx: Context, id: string, reason: string): Promise<void> {
  const request = await ctx.client.json<ReturnRequest>('POST', `/api/v1/returns/requests/${encodeURIComponent(id)}/revoke`, { reason });
  emit(ctx, request, () => [...describeRequest(request), `the receiver stops at its next pull and removes the rows it was returned`]);
}

/** `tdx return subtree`: at a city, its counties' requests as the province holds them (one page). */
export async function subtreeCommand(ctx: Context, cursor: string | undefined): Promise<void> {
  const query = new URLSearchParams({ limit: '100' });
  if (cursor) query.set('cursor', cursor);
  const page = await ctx.client.json<Page<ReturnRequestState>>('GET', `/api/v1/returns/subtree-requests?${query}`);
  emit(ctx, page, () => [
    ...(page.items.length === 0
      ? ['no return requests below this node']
      : table(
          ['id', 'state', 'entry', 'holder', 'requester', 'scope', 'updated'],
          page.items.map((r) => [r.id, r.state, `${r.entry.name}${r.entry.code ? ` (${r.entry.code})` : ''}`, r.holder, r.requester, r.scope, r.updatedAt]),
        )),
    ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
  ]);
}

export async function showCommand(ctx: Context, id: string): Promise<void> {
  const request = await ctx.client.json<ReturnRequest>('GET', `/api/v1/returns/requests/${encodeURIComponent(id)}`);
  emit(ctx, request, () => describeRequest(request));
}

/** Pages followed by `list` at most (500 requests each): enough for any operator's screen. */
const MAX_PAGES = 20;

export async function listCommand(ctx: Context, direction: string | undefined, state: string | undefined): Promise<void> {
  const items: ReturnRequest[] = [];
  let cursor: string | null = null;
  let more = false;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: '500' });
    if (direction) query.set('direction', direction);
    if (state) query.set('state', state);
    if (cursor) query.set('cursor', cursor);
    const answer = await ctx.client.json<Page<ReturnRequest>>('GET', `/api/v1/returns/requests?${query}`);
    items.push(...answer.items);
    cursor = answer.nextCursor;
    more = cursor !== null;
    if (!cursor) break;
  }
  emit(ctx, { items, more }, () => [
    ...(items.length === 0
      ? ['no return requests']
      : table(
          ['id', 'state', 'entry', 'code', 'holder', 'requester', 'scope', 'updated'],
          items.map((r) => [r.id, r.state, r.entry.name, r.entry.code ?? '-', r.holder, r.requester, r.scope, r.updatedAt]),
        )),
    ...(more ? [`(more than ${items.length}: narrow with --direction or --state)`] : []),
  ]);
}

export async function syncCommand(ctx: Context, requestId: string, watch: boolean, intervalMs: number): Promise<void> {
  const job = await ctx.client.json<ReturnJob>('POST', `/api/v1/returns/requests/${encodeURIComponent(requestId)}/sync`);
  if (watch) {
    if (!ctx.json) ctx.out.write(`job ${job.id} (${job.kind}) started for request ${requestId}\n`);
    return watchCommand(ctx, job.id, intervalMs);
  }
  emit(ctx, job, () => [`job ${job.id} (${job.kind}) ${job.state} for request ${requestId}`, `follow it: tdx return watch ${job.id}`]);
}

export async function rowsCommand(ctx: Context, requestId: string, o: { region?: string; columns?: string; limit?: string; cursor?: string }): Promise<void> {
  const query = new URLSearchParams();
  for (const name of ['region', 'columns', 'limit', 'cursor'] as const) if (o[name] !== undefined) query.set(name, o[name] as string);
  const page = await ctx.client.json<Page<ReturnedRowView>>(
    'GET',
    `/api/v1/returns/requests/${encodeURIComponent(requestId)}/rows${query.size ? `?${query}` : ''}`,
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

export async function jobsCommand(ctx: Context, requestId: string): Promise<void> {
  const answer = await ctx.client.json<Page<ReturnJob>>('GET', `/api/v1/returns/jobs?requestId=${encodeURIComponent(requestId)}`);
  const { items } = answer;
  emit(ctx, answer, () =>
    items.length === 0
      ? [`no jobs for request ${requestId}`]
      : table(
          ['id', 'kind', 'state', 'rows', 'started', 'finished', 'attempts', 'next attempt', 'last error'],
          items.map((j) => [
            j.id,
            j.kind,
            j.state,
            `${formatCount(j.rowsDone)}/${j.rowsTotal === null ? '?' : formatCount(j.rowsTotal)}`,
            j.startedAt ?? '',
            j.finishedAt ?? '',
            String(j.attempts),
            j.nextAttemptAt ?? '',
            j.lastError ?? '',
          ]),
        ),
  );
}

export function jobLine(job: ReturnJob, barWidth: number): string {
  const total = job.rowsTotal ?? null;
  return (
    `${renderBar(job.rowsDone, total, barWidth)} ${percent(job.rowsDone, total)} ${formatCount(job.rowsDone)}/${total === null ? '?' : formatCount(total)} rows` +
    `  ${job.ratePerSec === null || job.ratePerSec === undefined ? '?' : formatCount(job.ratePerSec)} rows/s  ETA ${job.state === 'done' ? '0:00' : formatDuration(job.etaSeconds)}  ${job.state}`
  );
}

function intervalFault(value: string): string | undefined {
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 && seconds <= 3600 ? undefined : `--interval must be a number of seconds between 0 and 3600 (got "${value}")`;
}

export function parseInterval(value: string | undefined): number {
  if (value === undefined) return 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600)
    throw new UsageError(`--interval must be a number of seconds between 0 and 3600 (got "${value}")`);
  return seconds * 1000;
}

/** How long `watch` keeps trying while the node does not answer (it may be restarting) before giving up. */
export const UNREACHABLE_GRACE_MS = 60_000;

/** `tdx return watch JOB`: polls the job until it is done (exit 0) or failed (exit 1). */
export async function watchCommand(ctx: Context, jobId: string, intervalMs: number): Promise<void> {
  let job: ReturnJob | undefined;
  let unreachableSince: number | undefined;
  const progress = new ProgressLine(ctx.out, (w) => (job ? jobLine(job, w) : 'waiting for the node...'), { redrawMs: 0 });
  for (;;) {
    try {
      job = await ctx.client.json<ReturnJob>('GET', `/api/v1/returns/jobs/${encodeURIComponent(jobId)}`);
      unreachableSince = undefined;
    } catch (error) {
      // A node restarting mid-transfer is expected (the job resumes): keep watching for a while.
      if (!(error instanceof UnreachableError)) throw error;
      unreachableSince ??= ctx.now();
      if (ctx.now() - unreachableSince > UNREACHABLE_GRACE_MS) throw error;
      if (!ctx.json && !progress.tty) ctx.out.write(`node not answering (${error.code ?? 'no answer'}), still trying\n`);
    }
    if (job && (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled')) break;
    if (!ctx.json) progress.update();
    await ctx.sleep(intervalMs);
  }
  if (!ctx.json) progress.finish();
  if (job.state === 'failed' || job.state === 'cancelled')
    throw new OperationFailed(`job ${job.id} ${job.state}${job.lastError ? `: ${job.lastError}` : ''}`, job);
  const finished = job;
  emit(ctx, finished, () => {
    const seconds = finished.startedAt && finished.finishedAt ? (Date.parse(finished.finishedAt) - Date.parse(finished.startedAt)) / 1000 : null;
    return [
      `job ${finished.id} done: ${formatCount(finished.rowsDone)} rows${seconds !== null && seconds > 0 ? ` in ${seconds.toFixed(1)} s (${formatCount(finished.rowsDone / seconds)} rows/s)` : ''}`,
    ];
  });
}

const REQUEST_ID = { name: 'REQUEST_ID', help: 'the request' };

export const returnCommands: CommandSpec[] = [
  {
    name: 'return request',
    args: [],
    options: {
      entry: {
        type: 'string',
        required: true,
        value: 'ID|CODE',
        help: "the data entry held by an ancestor: its UUID (or a code this node's catalog knows)",
        check: check.entry,
      },
      holder: { type: 'string', required: true, value: 'CODE', help: 'the division code of the node holding it', check: check.division('--holder') },
      scope: { type: 'string', choices: ['self', 'subtree'], value: 'self|subtree', help: 'this node only, or (a city) its whole subtree; default self' },
      purpose: { type: 'string', required: true, value: 'TEXT', help: 'what the data is for', check: check.nonBlank('--purpose') },
    },
    summary: 'ask an ancestor to return a data resource to this node (Article 9)',
    run: (ctx, { o }) => requestCommand(ctx, { entry: o.entry as string, holder: o.holder as string, scope: o.scope ?? 'self', purpose: o.purpose as string }),
  },
  {
    name: 'return approve',
    args: [{ name: 'ID', help: 'the request' }],
    options: { note: { type: 'string', value: 'TEXT', help: 'a note kept in the history' } },
    summary: 'approve an incoming request (at the holding node)',
    run: (ctx, { inv, o }) => decideCommand(ctx, inv.args.ID, 'approve', o.note),
  },
  {
    name: 'return reject',
    args: [{ name: 'ID', help: 'the request' }],
    options: { reason: { type: 'string', required: true, value: 'TEXT', help: 'why, told to the requester', check: check.nonBlank('--reason') } },
    summary: 'reject an incoming request (at the holding node)',
    run: (ctx, { inv, o }) => decideCommand(ctx, inv.args.ID, 'reject', o.reason),
  },
  {
    name: 'return list',
    args: [],
    options: {
      direction: { type: 'string', choices: ['outgoing', 'incoming'], value: 'outgoing|incoming', help: 'requests this node made, or received' },
      state: { type: 'string', choices: [...RETURN_STATES], value: 'STATE', help: RETURN_STATES.join(', ') },
    },
    summary: 'list return requests, with the name and code of each entry',
    run: (ctx, { o }) => listCommand(ctx, o.direction, o.state),
  },
  {
    name: 'return show',
    args: [{ name: 'ID', help: 'the request' }],
    options: {},
    summary: 'one request with its history',
    run: (ctx, { inv }) => showCommand(ctx, inv.args.ID),
  },
  {
    name: 'return withdraw',
    args: [{ ...REQUEST_ID, help: 'a pending or granted request this node made' }],
    options: { reason: { type: 'string', value: 'TEXT', help: 'why, kept in the history at both ends' } },
    summary: 'withdraw a request (at the requester): transfers stop, the rows already returned are kept',
    run: (ctx, { inv, o }) => withdrawCommand(ctx, inv.args.REQUEST_ID, o.reason),
  },
  {
    name: 'return revoke',
    args: [{ ...REQUEST_ID, help: 'a granted incoming request' }],
    options: { reason: { type: 'string', required: true, value: 'TEXT', help: 'why, told to the requester', check: check.nonBlank('--reason') } },
    summary: "revoke a grant (at the holding node): the receiver's next pull is refused and it removes the rows",
    run: (ctx, { inv, o }) => revokeCommand(ctx, inv.args.REQUEST_ID, o.reason as string),
  },
  {
    name: 'return subtree',
    args: [],
    options: { cursor: { type: 'string', value: 'C', help: 'the next page, as printed after the previous one' } },
    summary: "at a city: its counties' return requests to the province, read-only",
    run: (ctx, { o }) => subtreeCommand(ctx, o.cursor),
  },
  {
    name: 'return sync',
    args: [{ ...REQUEST_ID, help: 'an approved request' }],
    options: { watch: { type: 'boolean', help: 'follow the job it starts, as `tdx return watch`' } },
    summary: 'start a transfer (or an incremental re-sync) now',
    run: (ctx, { inv }) => syncCommand(ctx, inv.args.REQUEST_ID, inv.options.watch === true, 1000),
  },
  {
    name: 'return rows',
    args: [{ ...REQUEST_ID, help: 'a request this node made' }],
    options: {
      region: { type: 'string', value: 'CODE', help: 'only rows inside this division (330106; 330100 for all of Hangzhou)' },
      columns: { type: 'string', value: 'A,B', help: 'only these data items' },
      limit: { type: 'string', value: 'N', help: 'rows per page, 1 to 5000 (default 100)', check: check.limit(5000) },
      cursor: { type: 'string', value: 'C', help: 'the next page, as printed after the previous one' },
    },
    summary: 'the rows returned to this node for a request (at the receiver)',
    run: (ctx, { inv, o }) => rowsCommand(ctx, inv.args.REQUEST_ID, o),
  },
  {
    name: 'return jobs',
    args: [REQUEST_ID],
    options: {},
    summary: "a request's transfer jobs, newest first",
    run: (ctx, { inv }) => jobsCommand(ctx, inv.args.REQUEST_ID),
  },
  {
    name: 'return watch',
    args: [{ name: 'JOB', help: 'the job id' }],
    options: { interval: { type: 'string', value: 'SECONDS', help: 'polling period (default 1)', check: intervalFault } },
    summary: 'follow a transfer job until it ends: exit 0 when done, 1 when failed',
    run: async (ctx, { inv, o }) => watchCommand(ctx, inv.args.JOB, parseInterval(o.interval)),
  },
];
