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
}

export const RETURN_JOB_KINDS = ['full', 'incremental'] as const;
export const RETURN_JOB_STATES = ['queued', 'running', 'done', 'failed'] as const;

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
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A returned row at the receiver: masked as the holder sent it; `data` only the asked columns when some were named. */
export interface ReturnedRowView {
  rowKey: string;
  regionCode: string;
  sourceSeq: number;
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
