import { openEnvelope } from '@tdx/contracts';
import { ExchangeRecord, span } from '../audit/exchange-audit.service';

/** The audit records of the links of the tree: joins and replication batches, at both ends. */

type Answer = { ok: boolean; reason?: string; pending?: boolean };

/** How a batch's records ended, as the record applier counts them. */
export interface BatchOutcome {
  kind: string;
  reason?: string;
}

/** Reasons kept per batch record at most: enough to see what went wrong, never a flood. */
const MAX_REASONS = 5;

function outcomeOf(answer: Answer): string {
  return answer.ok ? 'accepted' : answer.pending ? 'pending' : 'refused';
}

/**
 * At the parent: a child's join and the answer it got. A child asks again every few seconds while
 * its join waits: only a change of answer per code and key is recorded (two keys asking for one
 * code, a squatter beside the genuine node, do not each record every turn).
 */
export function joinAnswered(here: string, request: Uint8Array, answer: Answer): ExchangeRecord {
  let claimed: { code?: string; publicKey?: string } = {};
  try {
    const { record } = openEnvelope(request);
    if (record.kind === 'node.join') claimed = { code: record.body.code, publicKey: record.body.publicKey };
  } catch {
    // A malformed join is recorded too, by what little can be told of it.
  }
  const outcome = outcomeOf(answer);
  return {
    actor: claimed.code ? `node:${claimed.code}` : 'node:unknown',
    action: 'federation.join',
    target: here,
    outcome,
    details: { ...(claimed.publicKey ? { publicKey: claimed.publicKey } : {}), ...(answer.ok ? {} : { reason: answer.reason ?? null }) },
    unlessRepeated: { key: `${claimed.code ?? 'unknown'}:${claimed.publicKey ?? ''}`, value: `${outcome}:${answer.reason ?? ''}` },
  };
}

/** At the child: its parent's answer to its join; a refusal retried is recorded once. */
export function joinReplied(here: string, parent: string, answer: Answer): ExchangeRecord {
  const outcome = outcomeOf(answer);
  return {
    actor: `node:${parent}`,
    action: 'federation.join.answer',
    target: here,
    outcome,
    details: answer.ok ? {} : { reason: answer.reason ?? null },
    unlessRepeated: { key: parent, value: `${outcome}:${answer.reason ?? ''}` },
  };
}

/** At the parent, inside the batch's transaction: what one child's batch did. */
export function batchReceived(here: string, child: string, streamSeqs: number[], outcomes: BatchOutcome[]): ExchangeRecord {
  const count = (kind: string) => outcomes.filter((o) => o.kind === kind).length;
  const counts = { applied: count('applied'), skipped: count('skipped'), rejected: count('rejected'), retried: count('retry'), parked: count('parked') };
  const reasons = [...new Set(outcomes.filter((o) => (o.kind === 'rejected' || o.kind === 'parked') && o.reason).map((o) => o.reason as string))].slice(
    0,
    MAX_REASONS,
  );
  return {
    actor: `node:${child}`,
    action: 'replication.batch',
    target: here,
    outcome: counts.rejected > 0 ? 'rejected' : counts.parked > 0 ? 'parked' : counts.retried > 0 ? 'deferred' : 'applied',
    details: { records: outcomes.length, ...counts, streamSeqs: span(streamSeqs), ...(reasons.length ? { reasons } : {}) },
  };
}

/** At the parent, inside its transaction: a parked record read again, and what became of it (`parked`: still unreadable). */
export function parkedReread(here: string, child: string, parkedId: string, outcome: BatchOutcome): ExchangeRecord {
  return {
    actor: `node:${child}`,
    action: 'replication.parked.reread',
    target: here,
    outcome: outcome.kind === 'retry' ? 'deferred' : outcome.kind,
    details: { parkedId, ...(outcome.reason ? { reason: outcome.reason } : {}) },
  };
}

/** At the child, inside the transaction that removes them from the outbox: records the parent's stream acknowledged. */
export function batchSent(here: string, parent: string, outboxSeqs: (number | string)[]): ExchangeRecord {
  return {
    actor: `node:${here}`,
    action: 'replication.sent',
    target: parent,
    outcome: 'acknowledged',
    details: { records: outboxSeqs.length, outboxSeqs: span(outboxSeqs.map(Number)) },
  };
}
