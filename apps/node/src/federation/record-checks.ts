import { isWithin } from '@tdx/divisions';
import { EntryState, InstitutionState, ReplicationRecord, SupervisionState, supervisionStateProblem } from '@tdx/contracts';
import { entryShapeProblem, institutionShapeProblem } from './replica-shape';
import { approvalProblem, FORWARDED_JOIN_PROBLEM, revocationProblem } from '../identity/identity-checks';

/**
 * Checks of a received record that need no key: is the origin inside the sender's subtree, and
 * is the body a well-formed state of that origin. Returns the reason for refusal, or undefined.
 */
export function attributionProblem(record: ReplicationRecord, sender: string): string | undefined {
  if (!isWithin(record.origin, sender)) return `origin ${record.origin} lies outside the subtree of sender ${sender}`;
  switch (record.kind) {
    case 'node.join':
      return FORWARDED_JOIN_PROBLEM;
    case 'node.approval':
      return approvalProblem(record.body, record.origin);
    case 'node.revocation':
      return revocationProblem(record.body, record.origin);
    case 'entry.upsert':
      return entryProblem(record.body, record.origin);
    case 'institution.upsert':
      return institutionProblem(record.body, record.origin);
    case 'supervision.state':
      return supervisionProblem(record.body, record.origin);
  }
}

function ownOrigin(body: { origin?: unknown }, origin: string): string | undefined {
  return body.origin === origin ? undefined : `body origin ${String(body.origin)} differs from record origin ${origin}`;
}

/** Every field as the origin's API would accept it (types, lengths, vocabularies), the region inside the origin. */
function entryProblem(body: EntryState, origin: string): string | undefined {
  return (
    ownOrigin(body, origin) ?? entryShapeProblem(body) ?? (isWithin(body.regionScope, origin) ? undefined : `entry region scope lies outside origin ${origin}`)
  );
}

function institutionProblem(body: InstitutionState, origin: string): string | undefined {
  return ownOrigin(body, origin) ?? institutionShapeProblem(body);
}

/** A state of a topic this release knows, whose data fits the topic's schema, computed by the record's origin. */
function supervisionProblem(body: SupervisionState, origin: string): string | undefined {
  return supervisionStateProblem(body) ?? ownOrigin(body, origin);
}
