import { isDirectChild, isWithin } from '@tdx/divisions';
import { EntryState, InstitutionState, JoinBody, ReplicationRecord } from '@tdx/contracts';
import { entryShapeProblem, institutionShapeProblem } from './replica-shape';

/**
 * Checks of a received record that need no key: is the origin inside the sender's subtree, and
 * is the body a well-formed state of that origin. Returns the reason for refusal, or undefined.
 */
export function attributionProblem(record: ReplicationRecord, sender: string): string | undefined {
  if (!isWithin(record.origin, sender)) return `origin ${record.origin} lies outside the subtree of sender ${sender}`;
  switch (record.kind) {
    case 'node.join':
      return joinProblem(record.body, record.origin, sender);
    case 'entry.upsert':
      return entryProblem(record.body, record.origin);
    case 'institution.upsert':
      return institutionProblem(record.body, record.origin);
  }
}

function joinProblem(body: JoinBody, origin: string, sender: string): string | undefined {
  if (body.code !== origin) return 'a join must be signed by the joining node itself';
  // A direct child joins by request/reply; through the stream come only its descendants' joins.
  if (origin === sender) return 'a direct child joins by request, not through the stream';
  if (!isDirectChild(body.code, body.parent) || !isWithin(body.parent, sender)) {
    return `join of ${body.code} under ${body.parent} does not fit the subtree of ${sender}`;
  }
  return typeof body.publicKey === 'string' ? undefined : 'join lacks a public key';
}

function ownOrigin(body: { origin?: unknown }, origin: string): string | undefined {
  return body.origin === origin ? undefined : `body origin ${String(body.origin)} differs from record origin ${origin}`;
}

/** Every field as the origin's API would accept it (types, lengths, vocabularies), the region inside the origin. */
function entryProblem(body: EntryState, origin: string): string | undefined {
  return ownOrigin(body, origin) ?? entryShapeProblem(body) ??
    (isWithin(body.regionScope, origin) ? undefined : `entry region scope lies outside origin ${origin}`);
}

function institutionProblem(body: InstitutionState, origin: string): string | undefined {
  return ownOrigin(body, origin) ?? institutionShapeProblem(body);
}
