import { GRADES, SHARE_TYPES, DATA_ITEM_TYPES, type DataItemType, type Grade, type ShareType } from './vocabulary';
import { array, boolean, divisionCode, integer, nullable, object, oneOf, Schema, text, timestamp, uuid } from './schema';

/**
 * Sharing between institutions anywhere in the province (Article 10), over the node-to-node channel
 * (docs/protocol.md, "Sharing"). A request is made at the consumer's node and kept at both ends
 * under the same UUID; the provider's node (the entry's origin) is the authority on its state.
 *
 * requested → granted (unconditional: at once) | approved → granted (conditional: an admin's
 * decision; `approved` is the decision, `granted` the grant in force, recorded together) |
 * rejected (a decision, or the provider's rules refuse it); then a request ends for good:
 * `revoked` by the provider, `withdrawn` by the consumer, `expired` once its expiry has passed
 * (a time check at each end, on every call).
 */
export const SHARE_STATES = ['requested', 'approved', 'granted', 'rejected', 'revoked', 'withdrawn', 'expired'] as const;
export type ShareState = (typeof SHARE_STATES)[number];
/** States after which nothing more can be decided and nothing is served. */
export const SHARE_FINAL_STATES: readonly ShareState[] = ['rejected', 'revoked', 'withdrawn', 'expired'];

export const SHARE_SIDES = ['consumer', 'provider'] as const;
export type ShareSide = (typeof SHARE_SIDES)[number];

export interface ShareHistoryEvent {
  at: string;
  state: ShareState;
  /** The node (division code) where the event happened. */
  by: string;
  /** Who: `user:<name>` at that node, `node:<code>` for the node itself. */
  actor: string;
  /** The purpose, reason or rule. */
  note: string | null;
}

/** What both ends keep of the entry a request is about. */
export interface ShareEntrySummary {
  name: string;
  code: string;
  grade: Grade;
  shareType: ShareType;
  providerId: string;
  dataItems: { name: string; type: DataItemType; sensitive: boolean }[];
}

/** Free text of sharing (purpose, reasons), as the API and the wire take it. */
export const SHARE_TEXT_MAX = 2000;
export const SHARE_TEXT: Schema<string> = text(1, SHARE_TEXT_MAX, { test: /\S/, means: 'not blank' });
/** Data items and regions a request may name at most. */
export const SHARE_ITEMS_MAX = 200;
export const SHARE_REGIONS_MAX = 100;
/** Rows of one query page at most. */
export const SHARE_QUERY_LIMIT_MAX = 1000;
export const SHARE_FILTERS_MAX = 20;

const ITEM_NAME = text(1, 100);
const NOTE = text(0, 4 * SHARE_TEXT_MAX);
const ACTOR = text(1, 300);

const PLAIN_OBJECT = ((value: unknown, path: string) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? undefined : `${path} must be an object`) as Schema<Record<string, unknown>>;

const EVENT: Schema<ShareHistoryEvent> = object<ShareHistoryEvent>({
  at: timestamp,
  state: oneOf(SHARE_STATES),
  by: divisionCode,
  actor: ACTOR,
  note: nullable(NOTE),
});

/** `share.request` (durable, consumer → provider): the request as the consumer stored it. */
export interface ShareRequestBody {
  id: string;
  entryId: string;
  consumerInstitution: string | null;
  items: string[];
  regions: string[];
  purpose: string;
  expiresAt: string;
  createdAt: string;
  /** The consumer's `requested` event: the provider's history starts with it. */
  requested: ShareHistoryEvent;
}

/** `share.decision` (durable, provider → consumer): the new state and the events that led to it. */
export interface ShareDecisionBody {
  id: string;
  state: ShareState;
  reason: string | null;
  rule: string | null;
  expiresAt: string;
  deadline: string | null;
  events: ShareHistoryEvent[];
}

/** `share.revoke` (durable, provider → consumer) and `share.withdraw` (consumer → provider). */
export interface ShareEndBody {
  id: string;
  event: ShareHistoryEvent;
}

/** Equality filters on data items: item name → value. */
export type ShareFilters = Record<string, string | number | boolean>;

/** `share.query` (ask, consumer → provider): one page of rows within the grant. */
export interface ShareQueryBody {
  id: string;
  /** Who asks at the consumer's node, for the provider's audit log. */
  actor: string;
  fields: string[];
  regions: string[] | null;
  filters: ShareFilters | null;
  cursor: string | null;
  limit: number;
}

export interface SharedRow {
  rowKey: string;
  regionCode: string;
  data: Record<string, unknown>;
}

/** The answer to `share.query`. */
export interface ShareQueryAnswer {
  id: string;
  fields: string[];
  regions: string[];
  items: SharedRow[];
  nextCursor: string | null;
}

export const SHARE_REQUEST_BODY: Schema<ShareRequestBody> = object<ShareRequestBody>({
  id: uuid,
  entryId: uuid,
  consumerInstitution: nullable(uuid),
  items: array(ITEM_NAME, SHARE_ITEMS_MAX),
  regions: array(divisionCode, SHARE_REGIONS_MAX),
  purpose: SHARE_TEXT,
  expiresAt: timestamp,
  createdAt: timestamp,
  requested: EVENT,
});

export const SHARE_DECISION_BODY: Schema<ShareDecisionBody> = object<ShareDecisionBody>({
  id: uuid,
  state: oneOf(SHARE_STATES),
  reason: nullable(NOTE),
  rule: nullable(text(1, 100)),
  expiresAt: timestamp,
  deadline: nullable(timestamp),
  events: array(EVENT, 20),
});

export const SHARE_END_BODY: Schema<ShareEndBody> = object<ShareEndBody>({ id: uuid, event: EVENT });

const FILTER_VALUE: Schema<string | number | boolean> = ((value: unknown, path: string) =>
  typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) ? undefined : text(0, 1000)(value, path)) as Schema<
  string | number | boolean
>;

const FILTERS: Schema<ShareFilters> = ((value: unknown, path: string) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${path} must be an object`;
  const entries = Object.entries(value);
  if (entries.length > SHARE_FILTERS_MAX) return `${path} must name at most ${SHARE_FILTERS_MAX} data items`;
  for (const [key, v] of entries) {
    const problem = ITEM_NAME(key, `${path} key`) ?? FILTER_VALUE(v, `${path}.${key.slice(0, 40)}`);
    if (problem) return problem;
  }
  return undefined;
}) as Schema<ShareFilters>;

export const SHARE_QUERY_BODY: Schema<ShareQueryBody> = object<ShareQueryBody>({
  id: uuid,
  actor: ACTOR,
  fields: array(ITEM_NAME, SHARE_ITEMS_MAX),
  regions: nullable(array(divisionCode, SHARE_REGIONS_MAX)),
  filters: nullable(FILTERS),
  cursor: nullable(text(1, 400)),
  limit: integer(1, SHARE_QUERY_LIMIT_MAX),
});

export const SHARE_QUERY_ANSWER: Schema<ShareQueryAnswer> = object<ShareQueryAnswer>({
  id: uuid,
  fields: array(ITEM_NAME, SHARE_ITEMS_MAX),
  regions: array(divisionCode, SHARE_REGIONS_MAX),
  items: array(object<SharedRow>({ rowKey: text(1, 400), regionCode: text(6, 6), data: PLAIN_OBJECT }), SHARE_QUERY_LIMIT_MAX),
  nextCursor: nullable(text(1, 400)),
});

export const SHARE_ENTRY_SUMMARY: Schema<ShareEntrySummary> = object<ShareEntrySummary>({
  name: text(1, 200),
  code: text(1, 64),
  grade: oneOf(GRADES),
  shareType: oneOf(SHARE_TYPES),
  providerId: uuid,
  dataItems: array(object({ name: ITEM_NAME, type: oneOf(DATA_ITEM_TYPES), sensitive: boolean }), 500),
});

/**
 * `share.deliver` (ask, consumer → provider): the next chunk of a delivery, the changes of the
 * grant's rows after `after` (docs/protocol.md, "Sharing: deliveries"). The grant is checked on
 * every chunk. `tombstonesAfter`: deletions at or before it are left out (null on a delivery's
 * first chunk: the provider fixes it, at its head for a full delivery, 0 for an incremental one).
 */
export interface ShareDeliverBody {
  id: string;
  /** The delivery at the consumer: the provider records (and audits) a delivery's end once. */
  deliveryId: string;
  kind: 'full' | 'incremental';
  actor: string;
  after: number;
  tombstonesAfter: number | null;
  /** Rows the consumer has committed of this delivery so far, for the provider's audit record at its end. */
  rowsSoFar: number;
}

/**
 * The answer to `share.deliver`: the changes in (after, through] as COPY text lines (row key,
 * region code, change sequence, masked data of the granted items or \N for a deletion), base64,
 * bound by `sha256`; `more` when the provider cut the chunk (by rows or size) before its head.
 */
export interface ShareDeliverChunk {
  id: string;
  after: number;
  through: number;
  tombstonesAfter: number;
  rows: number;
  sha256: string;
  text: string;
  more: boolean;
}

const SEQ = integer(0, Number.MAX_SAFE_INTEGER);

export const SHARE_DELIVER_BODY: Schema<ShareDeliverBody> = object<ShareDeliverBody>({
  id: uuid,
  deliveryId: uuid,
  kind: oneOf(['full', 'incremental'] as const),
  actor: ACTOR,
  after: SEQ,
  tombstonesAfter: nullable(SEQ),
  rowsSoFar: SEQ,
});

export const SHARE_DELIVER_CHUNK: Schema<ShareDeliverChunk> = object<ShareDeliverChunk>({
  id: uuid,
  after: SEQ,
  through: SEQ,
  tombstonesAfter: SEQ,
  rows: integer(0, 1_000_000),
  sha256: text(64, 64, { test: /^[0-9a-f]+$/, means: 'hex' }),
  text: text(0, 2_000_000, { test: /^[A-Za-z0-9+/]*={0,2}$/, means: 'base64' }),
  more: boolean,
});
