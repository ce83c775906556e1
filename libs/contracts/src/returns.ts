import { createHash, KeyObject, sign, verify } from 'node:crypto';
import { isDivisionCode, levelOf } from '@tdx/divisions';
import type { DataItemType, Grade, ShareType, UpdateCycle } from './vocabulary';
import { EnvelopeError, SigningKey } from './envelope';

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

export const RETURN_STATES = ['pending', 'granted', 'rejected', 'refused'] as const;
export type ReturnState = (typeof RETURN_STATES)[number];

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
  | ReturnHeader<'return.state', ReturnRequestState>
  | ReturnHeader<'return.ranges', ReturnPlan>
  | ReturnHeader<'return.chunk', ReturnChunk>
  | ReturnHeader<'return.error', ReturnErrorBody>;

interface ReturnHeader<K extends string, B> {
  v: 1;
  kind: K;
  /** Sender and addressee: a message signed for one holder is useless at another. */
  from: string;
  to: string;
  /** When it was sent; a holder refuses requests older than RETURN_MAX_AGE_MS (replays). */
  at: string;
  body: B;
}

export type ReturnMessageKind = ReturnMessage['kind'];
const KINDS: readonly ReturnMessageKind[] = [
  'return.request', 'return.status', 'return.plan', 'return.pull', 'return.state', 'return.ranges', 'return.chunk', 'return.error',
];

export const RETURN_MAX_AGE_MS = 120_000;

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

export interface ReturnErrorBody {
  status: number;
  error: string;
  message: string;
  rule?: string;
  article?: string;
  /** True when retrying cannot help (the grant is gone, the entry retired). */
  permanent: boolean;
}

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

/** Parses a message's shape (not its signature); the attachment is returned as raw bytes. */
export function openReturnMessage(data: Uint8Array): { message: ReturnMessage; attachment: Buffer | undefined } {
  const { header, attachment } = splitMessage(data);
  const headerText = header.toString('utf8');
  let message: unknown;
  try {
    message = JSON.parse(headerText);
  } catch {
    throw new EnvelopeError('return message header is not JSON');
  }
  const m = message as Record<string, unknown>;
  if (typeof m !== 'object' || m === null || m.v !== 1 || !KINDS.includes(m.kind as never) || !isDivisionCode(m.from) ||
      !isDivisionCode(m.to) || typeof m.at !== 'string' || typeof m.body !== 'object' || m.body === null) {
    throw new EnvelopeError('not a version-1 return message');
  }
  // The signature covers the header only: an attachment anywhere but on a chunk (bound by its sha256) is unsigned.
  if (attachment !== undefined && m.kind !== 'return.chunk') throw new EnvelopeError('only a chunk carries an attachment');
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
