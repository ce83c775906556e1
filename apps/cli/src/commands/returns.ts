import type { Page, ReturnedRowView, ReturnJobView, ReturnRequestState, ReturnRequestView } from '@tdx/contracts';
import { type Context, emit, table } from '../context';
import { OperationFailed, UnreachableError, UsageError } from '../errors';
import { formatCount, formatDuration, percent, ProgressLine, renderBar } from '../progress';

const REFUSED_STATES: ReadonlySet<ReturnRequestView['state']> = new Set(['rejected', 'refused']);

function describeRequest(r: ReturnRequestView): string[] {
  const lines = [
    `request   ${r.id}`,
    `state     ${r.state}${r.reason ? ` (${r.reason})` : ''}`,
    `entry     ${r.entryId}, held by ${r.holder}, for ${r.requester} (${r.scope})`,
    `purpose   ${r.purpose}`,
  ];
  if (r.lastCheckedAt) lines.push(`checked   ${r.lastCheckedAt}${r.lastSyncAt ? `, last transfer ${r.lastSyncAt}` : ''}`);
  for (const h of r.history) {
    lines.push(`  ${h.at}  ${h.state}${h.by ? ` by ${h.by}` : ''}${h.note ? `: ${h.note}` : ''}`);
  }
  return lines;
}

export async function requestCommand(ctx: Context, body: { entryId: string; holder: string; scope: string; purpose: string }): Promise<void> {
  const request = await ctx.client.json<ReturnRequestView>('POST', '/api/v1/returns/requests', body);
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
  const request = await ctx.client.json<ReturnRequestView>('POST', `/api/v1/returns/requests/${encodeURIComponent(id)}/${decision}`, body);
  emit(ctx, request, () => describeRequest(request));
}

/** `tdx return withdraw ID [--reason]`: at the requester. */
export async function withdrawCommand(ctx: Context, id: string, reason: string | undefined): Promise<void> {
  const request = await ctx.client.json<ReturnRequestView>('POST', `/api/v1/returns/requests/${encodeURIComponent(id)}/withdraw`, reason ? { reason } : {});
  emit(ctx, request, () => describeRequest(request));
}

/** `tdx return revoke ID --reason`: at the holder. */
export async function revokeCommand(ctx: Context, id: string, reason: string): Promise<void> {
  const request = await ctx.client.json<ReturnRequestView>('POST', `/api/v1/returns/requests/${encodeURIComponent(id)}/revoke`, { reason });
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
          page.items.map((r) => [r.id, r.state, r.entry.name, r.holder, r.requester, r.scope, r.updatedAt]),
        )),
    ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
  ]);
}

export async function showCommand(ctx: Context, id: string): Promise<void> {
  const request = await ctx.client.json<ReturnRequestView>('GET', `/api/v1/returns/requests/${encodeURIComponent(id)}`);
  emit(ctx, request, () => describeRequest(request));
}

/** Pages followed by `list` at most (500 requests each): enough for any operator's screen. */
const MAX_PAGES = 20;

export async function listCommand(ctx: Context, direction: string | undefined, state: string | undefined): Promise<void> {
  const items: ReturnRequestView[] = [];
  let cursor: string | null = null;
  let more = false;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: '500' });
    if (direction) query.set('direction', direction);
    if (state) query.set('state', state);
    if (cursor) query.set('cursor', cursor);
    const answer = await ctx.client.json<Page<ReturnRequestView>>('GET', `/api/v1/returns/requests?${query}`);
    items.push(...answer.items);
    cursor = answer.nextCursor;
    more = cursor !== null;
    if (!cursor) break;
  }
  emit(ctx, { items, more }, () => [
    ...(items.length === 0
      ? ['no return requests']
      : table(
          ['id', 'state', 'entry', 'holder', 'requester', 'scope', 'updated'],
          items.map((r) => [r.id, r.state, r.entryId, r.holder, r.requester, r.scope, r.updatedAt]),
        )),
    ...(more ? [`(more than ${items.length}: narrow with --direction or --state)`] : []),
  ]);
}

export async function syncCommand(ctx: Context, requestId: string, watch: boolean, intervalMs: number): Promise<void> {
  const job = await ctx.client.json<ReturnJobView>('POST', `/api/v1/returns/requests/${encodeURIComponent(requestId)}/sync`);
  if (watch) {
    if (!ctx.json) ctx.out.write(`job ${job.id} (${job.kind}) started for request ${requestId}\n`);
    return watchCommand(ctx, job.id, intervalMs);
  }
  emit(ctx, job, () => [`job ${job.id} (${job.kind}) ${job.state} for request ${requestId}`, `follow it: tdx return watch ${job.id}`]);
}

export async function rowsCommand(ctx: Context, requestId: string, o: { region?: string; columns?: string; limit?: string; cursor?: string }): Promise<void> {
  if (o.limit !== undefined && !/^[1-9]\d{0,3}$|^5000$/.test(o.limit)) throw new UsageError(`--limit must be a whole number from 1 to 5000 (got "${o.limit}")`);
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
  const answer = await ctx.client.json<Page<ReturnJobView>>('GET', `/api/v1/returns/jobs?requestId=${encodeURIComponent(requestId)}`);
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

export function jobLine(job: ReturnJobView, barWidth: number): string {
  const total = job.rowsTotal ?? null;
  return (
    `${renderBar(job.rowsDone, total, barWidth)} ${percent(job.rowsDone, total)} ${formatCount(job.rowsDone)}/${total === null ? '?' : formatCount(total)} rows` +
    `  ${job.ratePerSec === null || job.ratePerSec === undefined ? '?' : formatCount(job.ratePerSec)} rows/s  ETA ${job.state === 'done' ? '0:00' : formatDuration(job.etaSeconds)}  ${job.state}`
  );
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
  let job: ReturnJobView | undefined;
  let unreachableSince: number | undefined;
  const progress = new ProgressLine(ctx.out, (w) => (job ? jobLine(job, w) : 'waiting for the node...'), { redrawMs: 0 });
  for (;;) {
    try {
      job = await ctx.client.json<ReturnJobView>('GET', `/api/v1/returns/jobs/${encodeURIComponent(jobId)}`);
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
