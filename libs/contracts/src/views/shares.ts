import type { ShareEntrySummary, ShareHistoryEvent, ShareSide, ShareState, SharedRow } from '../shares';

/** A share request or grant as either end shows it; `side` says which end this is. */
export interface ShareView {
  id: string;
  side: ShareSide;
  entryId: string;
  /** The provider's node: the entry's origin. */
  provider: string;
  /** The consumer's node, where the request was made. */
  consumer: string;
  consumerInstitution: string | null;
  items: string[];
  /** Division codes: rows are served within these only. */
  regions: string[];
  purpose: string;
  expiresAt: string;
  state: ShareState;
  reason: string | null;
  /** The rule that refused the request, when one did. */
  rule: string | null;
  /** When a decision is due (working days from the request, by share type); null once decided. */
  deadline: string | null;
  /** Still undecided after its deadline. */
  overdue: boolean;
  history: ShareHistoryEvent[];
  entry: ShareEntrySummary;
  createdAt: string;
  updatedAt: string;
}

/** One page of rows served through a grant, masked by grade as the provider serves them. */
export interface ShareRowsView {
  id: string;
  fields: string[];
  regions: string[];
  items: SharedRow[];
  nextCursor: string | null;
}

/** A delivery of a granted share into the consumer's node (docs/protocol.md, "Sharing: deliveries"). */
export interface ShareDeliveryView {
  id: string;
  shareId: string;
  provider: string;
  /** `full` the first time (or after a refused one), then `incremental`: only what changed since. */
  kind: 'full' | 'incremental';
  /** `running` until the provider has nothing more; `refused` when the provider refused a chunk (grant revoked, expired, entry retired). */
  state: 'running' | 'done' | 'refused';
  /** The provider's change sequence up to which every chunk is committed here. */
  afterSeq: number;
  chunks: number;
  rowsDone: number;
  upserts: number;
  deletes: number;
  /** Why it was refused: the rule and the provider's message. */
  rule: string | null;
  lastError: string | null;
  attempts: number;
  actor: string;
  createdAt: string;
  finishedAt: string | null;
}
