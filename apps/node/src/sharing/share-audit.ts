import type { ExchangeRecord } from '../audit/exchange-audit.service';

/** The audit records of sharing, at the consumer's node and at the provider's. */

/** A change of a request's state at this end (requested, decided, revoked, withdrawn, expired, learnt from the other end). */
export function shareStateChanged(
  actor: string,
  id: string,
  state: string,
  details: { entryId: string; provider: string; consumer: string; reason?: string | null; rule?: string | null },
): ExchangeRecord {
  const { reason, rule, ...rest } = details;
  return { actor, action: 'share.state', target: id, outcome: state, details: { ...rest, ...(reason ? { reason } : {}), ...(rule ? { rule } : {}) } };
}

/** A query through a grant, served or refused: who asked, which grant, which fields and regions, how many rows. */
export function shareQueried(
  actor: string,
  id: string,
  outcome: 'served' | 'refused',
  details: { consumer: string; provider: string; fields: string[]; regions: string[] | null; rows?: number; user?: string; rule?: string; message?: string },
): ExchangeRecord {
  return { actor, action: 'share.query', target: id, outcome, details };
}

/** A message of the sharing protocol refused on receipt (bad body, wrong sender): nothing applied. */
export function shareMessageRefused(from: string, kind: string, message: string): ExchangeRecord {
  return {
    actor: `node:${from}`,
    action: 'share.refused',
    target: kind,
    outcome: 'refused',
    details: { message },
    unlessRepeated: { key: from, value: `${kind}:${message}` },
  };
}

/** A delivery of a grant, once: served (at the provider's last chunk, at the consumer when done) or refused; who, which grant, how many rows. */
export function shareDelivered(
  actor: string,
  id: string,
  outcome: 'served' | 'done' | 'refused',
  details: {
    consumer: string;
    provider: string;
    delivery: string;
    kind: string;
    user?: string;
    rows?: number;
    through?: number;
    rule?: string;
    message?: string;
  },
): ExchangeRecord {
  return { actor, action: 'share.deliver', target: id, outcome, details };
}
