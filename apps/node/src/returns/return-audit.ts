import type { ExchangeRecord } from '../audit/exchange-audit.service';

/** The audit records of returns, at the holder and at the requester. */

type Chunk = { rows: number; after: number; through: number };

/** At the holder, inside the transaction that stores it: a return request received and how it was decided (Article 10). */
export function returnRequestReceived(
  requester: string,
  request: { id: string; entryId: string; scope: string; state: string; reason?: string | null },
): ExchangeRecord {
  return {
    actor: `node:${requester}`,
    action: 'return.request',
    target: request.id,
    outcome: request.state,
    details: { entryId: request.entryId, scope: request.scope, ...(request.reason ? { reason: request.reason } : {}) },
  };
}

/**
 * At the holder, right after the pull recorded what it sent: rows sent to a requester. A pull that
 * finds nothing new (a realtime entry is asked every few seconds) sends no data and is not recorded.
 */
export function returnChunkServed(requester: string, requestId: string, chunk: Chunk): ExchangeRecord | undefined {
  if (chunk.rows === 0) return undefined;
  return {
    actor: `node:${requester}`,
    action: 'return.chunk.served',
    target: requestId,
    outcome: 'sent',
    details: { rows: chunk.rows, after: chunk.after, through: chunk.through },
  };
}

/** At the receiver, right after the transaction that applied them: rows received from the holder. */
export function returnChunkReceived(holder: string, requestId: string, chunk: Chunk): ExchangeRecord | undefined {
  if (chunk.rows === 0) return undefined;
  return {
    actor: `node:${holder}`,
    action: 'return.chunk.received',
    target: requestId,
    outcome: 'applied',
    details: { rows: chunk.rows, after: chunk.after, through: chunk.through },
  };
}

/** At the requester: the holder's decision on a request, recorded when the mirrored state changes. */
export function returnDecisionLearnt(holder: string, requestId: string, state: string, reason: string | null): ExchangeRecord {
  return { actor: `node:${holder}`, action: 'return.decision', target: requestId, outcome: state, details: reason ? { reason } : {} };
}

/**
 * At the holder: a return message refused (unknown or forged sender, no grant, bad input). A
 * requester retries with back-off, so only a change of refusal per sender is recorded; the holder's
 * own trouble (5xx, retried) is no refusal.
 */
export function returnRefused(here: string, from: string | undefined, kind: string | undefined, status: number, message: string): ExchangeRecord | undefined {
  if (status >= 500) return undefined;
  const sender = from ?? 'unknown';
  return {
    actor: `node:${sender}`,
    action: 'return.refused',
    target: here,
    outcome: String(status),
    details: { kind: kind ?? null, message },
    unlessRepeated: { key: sender, value: `${kind}:${status}:${message}` },
  };
}

/**
 * At the holder, in the transaction that ends it: a request withdrawn by its requester, revoked by
 * an operator here, or ended because its entry was retired or is no longer shared.
 */
export function returnEnded(requester: string, requestId: string, state: string, by: string, reason: string | null): ExchangeRecord {
  return {
    actor: `node:${by}`,
    action: 'return.ended',
    target: requestId,
    outcome: state,
    details: { requester, ...(reason ? { reason } : {}) },
  };
}

/** At the requester, when it learns that a request ended (or ends it after a permanent refusal), with what it did to the rows held. */
export function returnEndLearnt(
  holder: string,
  requestId: string,
  state: string,
  reason: string | null,
  rows: { kept?: number; removed?: number },
): ExchangeRecord {
  return { actor: `node:${holder}`, action: 'return.ended', target: requestId, outcome: state, details: { ...(reason ? { reason } : {}), ...rows } };
}
