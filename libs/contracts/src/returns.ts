import { createHash, KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { isDivisionCode, levelOf } from '@tdx/divisions';
import { DATA_ITEM_TYPES, DataItemType, Grade, GRADES, SHARE_TYPES, ShareType, UPDATE_CYCLES, UpdateCycle } from './vocabulary';
import { EnvelopeError, SigningKey } from './envelope';
import { protocolVersionVerdict } from './protocol-version';
import { REFUSAL_KINDS, RefusalKind } from './refusal';
import { array, boolean, divisionCode, integer, nullable, object, oneOf, optional, refined, Schema, text, timestamp, uuid } from './schema';

/**
 * The return of data downward (Article 9): core NATS request/reply between a requesting
 * (lower) node and the holding ancestor on `<ns>.return.<holder>.<requester>` (see docs/protocol.md,
 * "Returning data"). A message is one JSON line (the header), optionally followed by `\n` and an
 * attachment (a chunk's rows in PostgreSQL's COPY text format). The sender signs the header line
 * with Ed25519; the signature travels in the NATS header `Tdx-Sig`, so a chunk's rows are never
 * re-encoded. Only a chunk has an attachment, and its signed header carries the attachment's
 * SHA-256 (`ReturnChunk.sha256`), which binds the rows to the signature: hashing a megabyte once
 * with SHA-256 instead of twice with SHA-512 (Ed25519's own hash, in signing) at each end.
 */
export const RETURN_SIG_HEADER = 'Tdx-Sig';

export const RETURN_SCOPES = ['self', 'subtree'] as const;
export type ReturnScope = (typeof RETURN_SCOPES)[number];

/**
 * pending → granted | rejected | refused (the holder's decision); then a request ends, for good:
 * `withdrawn` by its requester (pending or granted), `revoked` by an operator at the holder (a
 * grant, with a reason), `ended` by the holder when the entry is retired or no longer shared.
 */
export const RETURN_STATES = ['pending', 'granted', 'rejected', 'refused', 'withdrawn', 'revoked', 'ended'] as const;
export type ReturnState = (typeof RETURN_STATES)[number];

/** States after which nothing more is transferred and nothing more can be decided. */
export const RETURN_FINAL_STATES: readonly ReturnState[] = ['rejected', 'refused', 'withdrawn', 'revoked', 'ended'];

export interface ReturnHistoryEvent {
  at: string;
  state: ReturnState | 'transfer';
  /** The node (division code) that made the event. */
  by: string;
  note: string | null;
}

/** What the requester needs to know of the entry to schedule re-syncs and show columns. */
export interface ReturnEntrySummary {
  name: string;
  /** The entry's resource code; absent in requests recorded before it was sent. */
  code?: string;
  grade: Grade;
  shareType: ShareType;
  updateCycle: UpdateCycle;
  dataItems: { name: string; type: DataItemType; sensitive: boolean }[];
}

/** A request as the holder decided it; the requester mirrors it. */
export interface ReturnRequestState {
  id: string;
  entryId: string;
  holder: string;
  requester: string;
  scope: ReturnScope;
  purpose: string;
  state: ReturnState;
  reason: string | null;
  history: ReturnHistoryEvent[];
  entry: ReturnEntrySummary;
  createdAt: string;
  updatedAt: string;
}

/**
 * The columns of a chunk's attachment, one row per line in PostgreSQL's COPY text format
 * (tab-separated, `\N` for null, backslash escapes): the receiver loads it with `COPY ... FROM
 * STDIN` into a staging table and checks it there before applying. `data` is the row's JSON
 * object, masked; null is a deletion.
 */
export const RETURN_CHUNK_COLUMNS = ['row_key', 'region_code', 'source_seq', 'data'] as const;

export type ReturnMessage =
  | ReturnHeader<'return.request', { id: string; entryId: string; scope: ReturnScope; purpose: string }>
  | ReturnHeader<'return.status', { id: string }>
  | ReturnHeader<'return.plan', ReturnPlanAsk>
  | ReturnHeader<'return.pull', ReturnPull>
  | ReturnHeader<'return.withdraw', { id: string; reason: string | null }>
  | ReturnHeader<'return.subtree', ReturnSubtreeAsk>
  | ReturnHeader<'return.state', ReturnRequestState>
  | ReturnHeader<'return.requests', ReturnSubtreePage>
  | ReturnHeader<'return.ranges', ReturnPlan>
  | ReturnHeader<'return.chunk', ReturnChunk>
  | ReturnHeader<'return.error', ReturnErrorBody>;

interface ReturnHeader<K extends string, B> {
  v: 1;
  kind: K;
  /** Sender and addressee: a message signed for one holder is useless at another. */
  from: string;
  to: string;
  /** When it was sent; a holder refuses a request whose `at` is more than RETURN_MAX_AGE_MS from its clock. */
  at: string;
  /**
   * Random and new for every message (newReturnNonce): a holder refuses a request whose
   * (from, nonce) it has already seen within RETURN_MAX_AGE_MS, so a captured request cannot be
   * sent again while it is still fresh.
   */
  nonce: string;
  /**
   * On the holder's answers: the nonce of the request answered. The receiver takes no answer
   * whose `re` is not the nonce it has just sent, so an old answer cannot be passed off as new.
   */
  re?: string;
  body: B;
}

export type ReturnMessageKind = ReturnMessage['kind'];
type BodyOf<K extends ReturnMessageKind> = Extract<ReturnMessage, { kind: K }>['body'];
const KINDS = [
  'return.request',
  'return.status',
  'return.plan',
  'return.pull',
  'return.withdraw',
  'return.subtree',
  'return.state',
  'return.requests',
  'return.ranges',
  'return.chunk',
  'return.error',
] as const satisfies readonly ReturnMessageKind[];

/** How far a request's `at` may be from the holder's clock, either way; also how long its nonce is remembered. */
export const RETURN_MAX_AGE_MS = 120_000;

/** 16 random bytes, base64url: a request's `nonce`. */
export function newReturnNonce(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The receiver asks how the changes after `after` split into ranges of change sequence, so it
 * can pull several ranges at once and still apply them in order.
 */
export interface ReturnPlanAsk {
  requestId: string;
  after: number;
  /**
   * Deletions are sent only when newer than this sequence. A full transfer passes null on its
   * first plan (the holder answers with its current head, which the receiver keeps for the rest
   * of the job): a row deleted before the job began was never sent by it. Incremental passes 0.
   */
  tombstonesAfter: number | null;
}

/** The holder's answer: the changes in (after, head] as ranges (after, bounds[0]], (bounds[0], bounds[1]], ... */
export interface ReturnPlan {
  requestId: string;
  after: number;
  /** The holder's highest change sequence of the entry when it answered (= the last bound, if any). */
  head: number;
  tombstonesAfter: number;
  /** Rows inside the requester's jurisdiction in (after, head]: the job's total. */
  total: number;
  /** Ascending upper bounds; each range holds a chunk's worth of rows. Empty: nothing to send. */
  bounds: number[];
}

/** The receiver asks for the changes in the range (after, upto], in change order. */
export interface ReturnPull {
  requestId: string;
  after: number;
  upto: number;
  tombstonesAfter: number;
}

export interface ReturnChunk {
  requestId: string;
  after: number;
  upto: number;
  /**
   * Where the receiver's cursor moves once the chunk is applied: `upto`, or, when the chunk was
   * cut by the size limit, the sequence of its last row (the receiver then pulls (through, upto]).
   */
  through: number;
  rows: number;
  /** SHA-256 (hex) over the attachment bytes (the rows in COPY text format). */
  sha256: string;
}

/**
 * A city asks an ancestor for the return requests of the nodes below it (Article 9: the middle tier
 * sees its subtree's requests, read-only). Keyset-paged by the holder's `cursor`.
 */
export interface ReturnSubtreeAsk {
  cursor: string | null;
  limit: number;
}

/** The requests at the holder whose requester lies strictly below the asking city, oldest first. */
export interface ReturnSubtreePage {
  items: ReturnRequestState[];
  nextCursor: string | null;
}

/** Requests in one `return.requests` answer at most. */
export const RETURN_SUBTREE_PAGE_MAX = 100;

/** A holder's refusal, by kind (the same kinds as the HTTP API's refusals; no HTTP status on the wire). */
export interface ReturnErrorBody {
  kind: RefusalKind;
  message: string;
  rule?: string;
  article?: string;
  /** True when retrying cannot help (the grant is gone, the entry retired). */
  permanent: boolean;
}

/**
 * Free text of the return API, in characters: a request's purpose, an approval's note, a
 * rejection's reason. The HTTP DTOs and the wire check both use these schemas.
 */
export const RETURN_TEXT_MAX = 2000;
export const RETURN_TEXT: Schema<string> = text(1, RETURN_TEXT_MAX, { test: /\S/, means: 'not blank' });
export const RETURN_NOTE: Schema<string> = text(1, RETURN_TEXT_MAX);

/** Text the holder writes into its answers (history notes, reasons, error messages): bounded, never parsed. */
const ANSWER_TEXT = text(0, 4 * RETURN_TEXT_MAX);
const NONCE = text(22, 64, { test: /^[A-Za-z0-9_-]+$/, means: 'base64url' });
const SEQUENCE = integer(0);
const SHA256 = text(64, 64, { test: /^[0-9a-f]+$/, means: 'hex' });
const ANY: Schema<unknown> = () => undefined;

const HEADER = object<Omit<ReturnMessage, 'body' | 'kind'> & { kind: ReturnMessageKind; body: unknown }>({
  v: oneOf([1] as const),
  kind: oneOf(KINDS),
  from: divisionCode,
  to: divisionCode,
  at: timestamp,
  nonce: NONCE,
  re: optional(NONCE),
  body: ANY,
});

const REQUEST_STATE: Schema<ReturnRequestState> = object<ReturnRequestState>({
  id: uuid,
  entryId: uuid,
  holder: divisionCode,
  requester: divisionCode,
  scope: oneOf(RETURN_SCOPES),
  purpose: RETURN_TEXT,
  state: oneOf(RETURN_STATES),
  reason: nullable(ANSWER_TEXT),
  history: array(
    object<ReturnHistoryEvent>({
      at: timestamp,
      state: oneOf([...RETURN_STATES, 'transfer'] as const),
      by: divisionCode,
      note: nullable(ANSWER_TEXT),
    }),
    100_000,
  ),
  entry: object<ReturnEntrySummary>({
    name: text(1, 200),
    code: optional(text(1, 64)),
    grade: oneOf(GRADES),
    shareType: oneOf(SHARE_TYPES),
    updateCycle: oneOf(UPDATE_CYCLES),
    dataItems: array(object({ name: text(1, 100), type: oneOf(DATA_ITEM_TYPES), sensitive: boolean }), 500),
  }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** One schema per kind: the holder checks requests with them, the receiver the holder's answers. */
const BODIES: { [K in ReturnMessageKind]: Schema<BodyOf<K>> } = {
  'return.request': object({ id: uuid, entryId: uuid, scope: oneOf(RETURN_SCOPES), purpose: RETURN_TEXT }),
  'return.status': object({ id: uuid }),
  'return.withdraw': object({ id: uuid, reason: nullable(RETURN_TEXT) }),
  'return.subtree': object<ReturnSubtreeAsk>({
    cursor: nullable(text(1, 40, { test: /^\d+$/, means: 'a cursor' })),
    limit: integer(1, RETURN_SUBTREE_PAGE_MAX),
  }),
  'return.requests': object<ReturnSubtreePage>({
    items: array(REQUEST_STATE, RETURN_SUBTREE_PAGE_MAX),
    nextCursor: nullable(text(1, 40, { test: /^\d+$/, means: 'a cursor' })),
  }),
  'return.plan': object<ReturnPlanAsk>({ requestId: uuid, after: SEQUENCE, tombstonesAfter: nullable(SEQUENCE) }),
  'return.pull': refined(
    object<ReturnPull>({ requestId: uuid, after: SEQUENCE, upto: SEQUENCE, tombstonesAfter: SEQUENCE }),
    (p) => p.after < p.upto,
    'after must be below upto',
  ),
  'return.state': REQUEST_STATE,
  'return.ranges': refined(
    object<ReturnPlan>({
      requestId: uuid,
      after: SEQUENCE,
      head: SEQUENCE,
      tombstonesAfter: SEQUENCE,
      total: SEQUENCE,
      bounds: array(SEQUENCE, 1_000_000),
    }),
    (p) => p.bounds.every((b, i) => b > (i === 0 ? p.after : p.bounds[i - 1])),
    'bounds must ascend from after',
  ),
  'return.chunk': refined(
    object<ReturnChunk>({
      requestId: uuid,
      after: SEQUENCE,
      upto: SEQUENCE,
      through: SEQUENCE,
      rows: SEQUENCE,
      sha256: SHA256,
    }),
    (c) => c.after < c.through && c.through <= c.upto,
    'through must lie in (after, upto]',
  ),
  'return.error': object<ReturnErrorBody>({
    kind: oneOf(REFUSAL_KINDS),
    message: ANSWER_TEXT,
    rule: optional(text(1, 100)),
    article: optional(text(1, 100)),
    permanent: boolean,
  }),
};

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Serialises and signs a message; returns the bytes and the signature for the `Tdx-Sig` header.
 * The signature covers the header line; a chunk's attachment is bound by the SHA-256 in its body.
 */
export function sealReturnMessage(message: ReturnMessage, key: SigningKey, attachment?: Uint8Array): { data: Buffer; sig: string } {
  if (attachment !== undefined && message.kind !== 'return.chunk') throw new RangeError('only a chunk carries an attachment');
  const header = Buffer.from(JSON.stringify(message));
  const data = attachment === undefined ? header : Buffer.concat([header, NEWLINE, attachment]);
  return { data, sig: sign(null, header, key.privateKey).toString('base64') };
}

/** Whether the header line carries `publicKey`'s signature. A chunk's rows are then checked against its `sha256`. */
export function verifyReturnMessage(data: Uint8Array, sig: string | undefined, publicKey: KeyObject): boolean {
  if (!sig) return false;
  try {
    return verify(null, splitMessage(data).header, publicKey, Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}

const NEWLINE = Buffer.from('\n');

/** The header line (what is signed) and the attachment after the first newline, if any. */
function splitMessage(data: Uint8Array): { header: Buffer; attachment: Buffer | undefined } {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const newline = bytes.indexOf(NEWLINE);
  return newline < 0 ? { header: bytes, attachment: undefined } : { header: bytes.subarray(0, newline), attachment: bytes.subarray(newline + 1) };
}

/**
 * A return message that does not fit its schema. `from` and `nonce` are the header's when they
 * could be read, so the holder can still address its refusal and echo the nonce.
 */
export class ReturnMessageError extends EnvelopeError {
  constructor(
    reason: string,
    readonly from?: string,
    readonly nonce?: string,
  ) {
    super(reason);
    this.name = 'ReturnMessageError';
  }
}

/**
 * Parses a message and checks its header and its body against the schema of its kind (not its
 * signature: see verifyReturnMessage); the attachment is returned as raw bytes. Throws
 * ReturnMessageError naming the first problem.
 */
export function openReturnMessage(data: Uint8Array): { message: ReturnMessage; attachment: Buffer | undefined } {
  const { header, attachment } = splitMessage(data);
  let message: unknown;
  try {
    message = JSON.parse(header.toString('utf8'));
  } catch {
    throw new ReturnMessageError('return message header is not JSON');
  }
  const fields = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
  const from = divisionCode(fields.from, 'from') === undefined ? (fields.from as string) : undefined;
  const nonce = NONCE(fields.nonce, 'nonce') === undefined ? (fields.nonce as string) : undefined;
  // A newer (or retired) version is named as such, so the asker knows whom to upgrade rather than what field is wrong.
  const version = protocolVersionVerdict(fields.v, 'the return message');
  if (version.kind === 'newer' || version.kind === 'retired') throw new ReturnMessageError(version.reason, from, nonce);
  const problem = HEADER(message, 'message') ?? BODIES[fields.kind as ReturnMessageKind](fields.body, 'body');
  if (problem) throw new ReturnMessageError(`not a valid version-1 return message: ${problem}`, from, nonce);
  // The signature covers the header only: an attachment anywhere but on a chunk (bound by its sha256) is unsigned.
  if (attachment !== undefined && fields.kind !== 'return.chunk') throw new ReturnMessageError('only a chunk carries an attachment', from, nonce);
  return { message: message as ReturnMessage, attachment };
}

/**
 * The region codes a request covers, as an exact code or a prefix for `region_code LIKE prefix%`:
 * a county its own code; a city its own code (self) or its four-digit prefix (subtree). Nothing
 * else may leave the holder for this request.
 */
export function returnJurisdiction(requester: string, scope: ReturnScope): { exact: string } | { prefix: string } {
  const level = levelOf(requester);
  if (level === 'county') return { exact: requester };
  if (level === 'city') return scope === 'subtree' ? { prefix: requester.slice(0, 4) } : { exact: requester };
  throw new RangeError('a province has no ancestor to request a return from');
}

export function inReturnJurisdiction(region: string, requester: string, scope: ReturnScope): boolean {
  const j = returnJurisdiction(requester, scope);
  return 'exact' in j ? region === j.exact : region.startsWith(j.prefix) && isDivisionCode(region);
}
