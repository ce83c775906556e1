import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { AuditChainWalker, type AuditPruneView, AuditRecord, AuditVerification, type AuditVerificationView, Page, parseAuditAnchor } from '@tdx/contracts';
import type { CommandSpec } from '../command';
import { type Context, emit, table } from '../context';
import { AuditTamperedError, OperationFailed, UsageError } from '../errors';
import type { Output } from '../progress';

type NodeVerification = AuditVerificationView;

function anchorOf(text: string | undefined): { seq: number; hash: string } | undefined {
  if (text === undefined) return undefined;
  const anchor = parseAuditAnchor(text);
  if (!anchor) throw new UsageError(`--anchor must be SEQ:HASH, a record number and its 64 hex digit hash (got "${text}")`);
  return anchor;
}

function verdict(where: string, result: AuditVerification, head?: { seq: number; hash: string }): string[] {
  const lines = [`${where}: ${result.ok ? 'intact' : 'TAMPERED'}, ${result.records} records checked`];
  if (result.last) lines.push(`last record ${result.last.seq}:${result.last.hash}`);
  if (head) lines.push(`head       ${head.seq}:${head.hash}`);
  if (result.firstBad) lines.push(`first bad record: ${result.firstBad.seq} (${result.firstBad.kind}): ${result.firstBad.reason}`);
  return lines;
}

/** `tdx audit verify`: the node walks its whole chain; exit 5 names the first bad record. */
export async function auditVerifyCommand(ctx: Context, o: { file?: string; anchor?: string }): Promise<void> {
  const anchor = anchorOf(o.anchor);
  if (o.file !== undefined) return verifyFile(ctx, o.file, anchor);
  const query = anchor ? `?anchor=${anchor.seq}:${anchor.hash}` : '';
  const result = await ctx.client.json<NodeVerification>('GET', `/api/v1/audit/verify${query}`);
  const lines = verdict(`audit log of ${result.node}`, result, result.head);
  if (!result.ok) throw new AuditTamperedError(lines.slice(-1)[0], result);
  emit(ctx, result, () => lines);
}

/**
 * `tdx audit verify --file EXPORT`: checks an export without the node, line by line (memory stays
 * flat). An export from record 1 is checked from the genesis; a range from its first record on.
 */
async function verifyFile(ctx: Context, file: string, anchor: { seq: number; hash: string } | undefined): Promise<void> {
  const { result } = await checkFile(file, anchor);
  const lines = verdict(file, result);
  if (!result.ok) throw new AuditTamperedError(lines.slice(-1)[0], result);
  emit(ctx, result, () => lines);
}

/** Walks an export file; also says the number of its first record. */
async function checkFile(file: string, anchor: { seq: number; hash: string } | undefined): Promise<{ result: AuditVerification; first?: number }> {
  let input;
  try {
    input = createReadStream(file);
    await once(input, 'open');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let walker: AuditChainWalker | undefined;
  let first: number | undefined;
  let lineNumber = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined; // reported by the walker as not a record, with the line number
    }
    if (walker === undefined) {
      const seq = (value as { seq?: unknown } | undefined)?.seq;
      first = typeof seq === 'number' ? seq : undefined;
      walker = new AuditChainWalker(seq === 1 ? 'genesis' : 'anywhere', anchor);
    }
    if (!walker.push(value, `line ${lineNumber}`)) break;
  }
  input.destroy();
  return { result: (walker ?? new AuditChainWalker('anywhere', anchor)).finish(), first };
}

type PruneResult = AuditPruneView;

/**
 * `tdx audit prune --file EXPORT`: checks the export offline, then has the node prune its log
 * through the export's last record. The node refuses unless that record's hash is the one it
 * holds, the export starts at or before its oldest record, and the record is older than its
 * retention minimum; it keeps the record's hash as the anchor its remaining log starts from.
 */
export async function auditPruneCommand(ctx: Context, o: { file?: string }): Promise<void> {
  if (o.file === undefined) throw new UsageError('--file is required: the export (tdx audit export) of the records to prune, kept as their archive');
  const { result, first } = await checkFile(o.file, undefined);
  if (!result.ok) throw new AuditTamperedError(verdict(o.file, result).slice(-1)[0], result);
  if (!result.last || first === undefined) throw new UsageError(`${o.file} holds no record: nothing to prune`);
  const pruned = await ctx.client.json<PruneResult>('POST', '/api/v1/audit/prune', { from: first, through: result.last.seq, hash: result.last.hash });
  emit(ctx, pruned, () => [
    `pruned ${pruned.pruned} records of ${pruned.node}'s audit log, through ${pruned.anchor.seq}; it now starts at ${pruned.firstRemaining}`,
    `anchor ${pruned.anchor.seq}:${pruned.anchor.hash}`,
    `keep ${o.file}: it is now the only copy of those records (check it with tdx audit verify --file)`,
  ]);
}

/** `tdx audit export [--from] [--to] > FILE`: the node's NDJSON export, written as it arrives. */
export async function auditExportCommand(ctx: Context, o: { from?: string; to?: string }): Promise<void> {
  const query = new URLSearchParams();
  if (o.from !== undefined) query.set('from', o.from);
  if (o.to !== undefined) query.set('to', o.to);
  const response = await ctx.client.download(`/api/v1/audit/export${query.size ? `?${query}` : ''}`);
  let records = 0;
  try {
    for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
      for (const byte of chunk) if (byte === 10) records += 1;
      await write(ctx.out, Buffer.from(chunk).toString('utf8'));
    }
  } catch (error) {
    // The node cuts the connection when it fails mid-export: what was written is incomplete.
    throw new OperationFailed(`the export was cut off after ${records} records (${(error as Error).message}): the output is incomplete, export again`);
  }
  // The summary goes to standard error: standard output is the export itself.
  const head = response.headers.get('tdx-audit-head');
  ctx.err?.write(`tdx: exported ${records} audit records${head ? `; the node's head was ${head} (keep it: tdx audit verify --anchor ${head})` : ''}\n`);
}

/** Writes with backpressure when the output is a stream (a file, a pipe). */
async function write(out: Output, text: string): Promise<void> {
  const stream = out as Output & { once?: (event: string, listener: () => void) => unknown };
  if (out.write(text) === false && typeof stream.once === 'function') await new Promise<void>((resolve) => stream.once?.('drain', resolve));
}

/** `tdx audit list`: one page of records, filtered as the API filters them. */
export async function auditListCommand(ctx: Context, o: Record<string, string | undefined>): Promise<void> {
  const query = new URLSearchParams();
  for (const name of ['from', 'to', 'actor', 'action', 'target', 'outcome', 'order', 'limit', 'cursor']) {
    if (o[name] !== undefined) query.set(name, o[name] as string);
  }
  const page = await ctx.client.json<Page<AuditRecord>>('GET', `/api/v1/audit${query.size ? `?${query}` : ''}`);
  emit(ctx, page, () => [
    ...(page.items.length === 0
      ? ['no audit records']
      : table(
          ['seq', 'at', 'actor', 'action', 'target', 'outcome'],
          page.items.map((r) => [String(r.seq), r.at, r.actor, r.action, r.target ?? '', r.outcome]),
        )),
    ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
  ]);
}

export const auditCommands: CommandSpec[] = [
  {
    name: 'audit verify',
    args: [],
    options: {
      file: { type: 'string', value: 'FILE', help: 'check an export (tdx audit export) offline instead of asking the node' },
      anchor: { type: 'string', value: 'SEQ:HASH', help: 'a head kept earlier (printed by tdx audit export, logged by the node): the log must still hold it' },
    },
    summary: "check the audit log's hash chain: exit 0 intact, 5 tampered (naming the first bad record)",
    run: (ctx, { o }) => auditVerifyCommand(ctx, { file: o.file, anchor: o.anchor }),
  },
  {
    name: 'audit export',
    args: [],
    options: {
      from: { type: 'string', value: 'TIME', help: 'records written at or after this ISO 8601 time (2026-11-01T00:00:00Z)' },
      to: { type: 'string', value: 'TIME', help: 'records written before this time' },
    },
    summary: 'write the audit log (or a time range of it) as NDJSON to standard output, for archiving',
    run: (ctx, { o }) => auditExportCommand(ctx, { from: o.from, to: o.to }),
  },
  {
    name: 'audit prune',
    args: [],
    options: {
      file: {
        type: 'string',
        value: 'FILE',
        help: 'the export (tdx audit export) of the oldest records, kept as their archive; the log is pruned through its last record',
      },
    },
    summary: 'delete the oldest, exported records of the audit log behind a kept anchor (the node refuses records younger than AUDIT_RETENTION_DAYS)',
    run: (ctx, { o }) => auditPruneCommand(ctx, { file: o.file }),
  },
  {
    name: 'audit list',
    args: [],
    options: {
      from: { type: 'string', value: 'TIME', help: 'at or after this ISO 8601 time' },
      to: { type: 'string', value: 'TIME', help: 'before this time' },
      actor: { type: 'string', value: 'ACTOR', help: 'user:NAME, anonymous or node:CODE' },
      action: { type: 'string', value: 'ACTION', help: 'exact, or a prefix ending in * (replication.*)' },
      target: { type: 'string', value: 'ID', help: 'the id or code acted on' },
      outcome: { type: 'string', value: 'OUTCOME', help: 'an HTTP status (403) or an exchange outcome (rejected)' },
      order: { type: 'string', choices: ['asc', 'desc'], value: 'asc|desc', help: 'oldest (default) or newest first' },
      limit: { type: 'string', value: 'N', help: 'records per page, 1 to 500 (default 50)' },
      cursor: { type: 'string', value: 'C', help: 'the next page, as printed after the previous one' },
    },
    summary: 'a page of audit records, filtered',
    run: (ctx, { o }) => auditListCommand(ctx, o),
  },
];
