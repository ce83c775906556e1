import type { ReturnRequestState } from './returns';

/**
 * The answers of the node's HTTP API that cross to its clients (the CLI, scripts, the console):
 * one definition, declared as the handlers' return types and imported by the clients.
 */

/** One page of a keyset-paged list: `nextCursor` is passed back as `cursor` for the next page; null on the last. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type ReturnDirection = 'outgoing' | 'incoming';

/** A return request as either end shows it; `direction` says which end this is. */
export interface ReturnRequestView extends ReturnRequestState {
  direction: ReturnDirection;
  /** At the receiver: when it last asked the holder for changes (a re-sync that found none leaves no job); null at the holder. */
  lastCheckedAt: string | null;
  /** At the receiver: when a transfer last finished; null at the holder and before the first. */
  lastSyncAt: string | null;
}

export const RETURN_JOB_KINDS = ['full', 'incremental'] as const;
/** `cancelled`: the request ended (withdrawn, revoked, ended) while the job was in flight. */
export const RETURN_JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;

/** A transfer job at the receiver, with its progress. */
export interface ReturnJobView {
  id: string;
  requestId: string;
  kind: (typeof RETURN_JOB_KINDS)[number];
  state: (typeof RETURN_JOB_STATES)[number];
  rowsDone: number;
  rowsTotal: number | null;
  upserts: number;
  deletes: number;
  ratePerSec: number | null;
  etaSeconds: number | null;
  lastError: string | null;
  /** Failed attempts in a row (0 once an attempt gets through); each waits twice as long as the one before, up to a cap. */
  attempts: number;
  /** While failing: when the next attempt starts. */
  nextAttemptAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A returned row at the receiver: masked as the holder sent it; `data` only the asked columns when some were named. */
export interface ReturnedRowView {
  rowKey: string;
  regionCode: string;
  sourceSeq: number;
  /** Values as the holder loaded them: decimals, and integers beyond 2^53, as JSON strings of their exact text (operator guide, "Values come back as loaded"). */
  data: Record<string, unknown>;
}

// The other answers, one module per feature of the API.
export * from './views/catalog';
export * from './views/accounts';
export * from './views/audit';
export * from './views/datasets';
export * from './views/federation';
export * from './views/health';
export * from './views/errors';
export * from './views/shares';
export * from './views/open-data';
export * from './views/permissions';
export * from './views/metrics-history';
export * from './views/supervision-states';
export * from './views/projects';
export * from './views/resources';
export * from './views/assessment';
