import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import type { AuditRecord } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { AuditLog } from './audit-log.service';

/** One refused anonymous request, as the trail saw it. */
export interface AnonymousRefusal {
  method: string;
  /** The route's template, or null when no route matched (the path itself is the client's choice: never kept). */
  route: string | null;
  status: number;
  /** The error's name (`Unauthorized`, `Bad Request`), when known. */
  error?: string;
  /** The client's address as the node sees it (behind a trusted proxy: the forwarded one). */
  ip: string | null;
  /** A user name tried on a sign-in route, when it has the shape of one. */
  username?: string;
}

/** Distinct kinds (method, route, status, error) kept per window; the rest is counted together. */
const MAX_KINDS = 200;
/** Distinct addresses and user names kept per window; the rest is counted together. */
const MAX_SOURCES = 1000;
/** Addresses and user names named in a summary record. */
const TOP = 10;
const NO_ROUTE = '(no route)';

interface Window {
  from: Date;
  total: number;
  kinds: Map<string, { refusal: Omit<AnonymousRefusal, 'ip' | 'username'>; count: number }>;
  otherKinds: number;
  sources: Map<string, number>;
  otherSources: number;
  usernames: Map<string, number>;
  otherUsernames: number;
}

function emptyWindow(): Window {
  return { from: new Date(), total: 0, kinds: new Map(), otherKinds: 0, sources: new Map(), otherSources: 0, usernames: new Map(), otherUsernames: 0 };
}

/**
 * Refusals of anonymous requests (401s, 404s on a POST, malformed bodies, failed sign-ins) are
 * counted, not recorded one by one: anyone can send them, and a chained record each would let
 * one client grow the log (and every later verification) without limit. They are counted in
 * the metric `tdx_http_anonymous_refusals_total` and, per window, summarised in one audit record
 * `http.anonymous-refusals`: the counts by kind, the busiest addresses and the user names tried.
 * Memory is bounded whatever arrives. Refusals of signed-in users stay records of their own.
 */
@Injectable()
export class AnonymousRefusals implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private readonly refusals: Counter;
  private window = emptyWindow();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly log: AuditLog,
    metrics: MetricsRegistry,
  ) {
    this.refusals = new Counter({
      name: 'tdx_http_anonymous_refusals_total',
      help: 'Refused anonymous requests, by route template and status (summarised in the audit log, not recorded one by one)',
      labelNames: ['route', 'status'],
      registers: [metrics.registry],
    });
  }

  count(refusal: AnonymousRefusal): void {
    const route = refusal.route ?? NO_ROUTE;
    this.refusals.inc({ route, status: String(refusal.status) });
    const w = this.window;
    w.total++;
    const kind = `${refusal.method} ${route} ${refusal.status} ${refusal.error ?? ''}`;
    const known = w.kinds.get(kind);
    if (known) known.count++;
    else if (w.kinds.size < MAX_KINDS) {
      w.kinds.set(kind, { refusal: { method: refusal.method, route, status: refusal.status, ...(refusal.error ? { error: refusal.error } : {}) }, count: 1 });
    } else w.otherKinds++;
    w.otherSources += bump(w.sources, refusal.ip ?? 'unknown', 1);
    if (refusal.username !== undefined) w.otherUsernames += bump(w.usernames, refusal.username, 1);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.config.http.refusalSummarySeconds * 1000);
    this.timer.unref();
  }

  /** The last window is written before the database pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /**
   * Writes the window's summary record, if anything was refused in it, and starts a new window.
   * Should the write fail, the counts join the next window rather than being lost.
   */
  async flush(): Promise<AuditRecord | undefined> {
    const window = this.window;
    if (window.total === 0) return undefined;
    this.window = emptyWindow();
    const to = this.window.from;
    try {
      if (!this.dataSource.isInitialized) throw new Error('the database is closed');
      // In a transaction of its own: appends outside one are refused once the node is stopping.
      return await this.dataSource.transaction((manager) => this.log.append(summaryOf(window, to), manager));
    } catch (error) {
      this.logger.error(`could not record the summary of ${window.total} refused anonymous requests in the audit log: ${(error as Error).message}`);
      merge(this.window, window);
      return undefined;
    }
  }
}

/** Counts `n` more for `key`; returns `n` when the map is full and they go uncounted by name. */
function bump(counts: Map<string, number>, key: string, n: number): number {
  const count = counts.get(key);
  if (count !== undefined) counts.set(key, count + n);
  else if (counts.size < MAX_SOURCES) counts.set(key, n);
  else return n;
  return 0;
}

function top(counts: Map<string, number>): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP);
}

function summaryOf(w: Window, to: Date) {
  const sum = (counts: Iterable<number>) => [...counts].reduce((a, b) => a + b, 0);
  const unnamed = (counts: Map<string, number>, other: number) => sum(counts.values()) + other - sum(top(counts).map(([, n]) => n));
  return {
    actor: 'anonymous',
    action: 'http.anonymous-refusals',
    target: null,
    outcome: 'summary',
    details: {
      from: w.from.toISOString(),
      to: to.toISOString(),
      total: w.total,
      kinds: [...w.kinds.values()].sort((a, b) => b.count - a.count).map(({ refusal, count }) => ({ ...refusal, count })),
      ...(w.otherKinds > 0 ? { otherKinds: w.otherKinds } : {}),
      addresses: top(w.sources).map(([ip, count]) => ({ ip, count })),
      otherAddresses: unnamed(w.sources, w.otherSources),
      ...(w.usernames.size > 0 || w.otherUsernames > 0
        ? { usernames: top(w.usernames).map(([username, count]) => ({ username, count })), otherUsernames: unnamed(w.usernames, w.otherUsernames) }
        : {}),
    },
  };
}

/** Adds the counts of an unwritten window into the current one (within its bounds), which then starts where it did. */
function merge(into: Window, from: Window): void {
  into.from = from.from;
  into.total += from.total;
  into.otherKinds += from.otherKinds;
  for (const [kind, entry] of from.kinds) {
    const known = into.kinds.get(kind);
    if (known) known.count += entry.count;
    else if (into.kinds.size < MAX_KINDS) into.kinds.set(kind, { ...entry });
    else into.otherKinds += entry.count;
  }
  into.otherSources += from.otherSources;
  for (const [ip, n] of from.sources) into.otherSources += bump(into.sources, ip, n);
  into.otherUsernames += from.otherUsernames;
  for (const [name, n] of from.usernames) into.otherUsernames += bump(into.usernames, name, n);
}
