import { isWithin } from '@tdx/divisions';
import {
  ENTRY_STATUSES, ENTRY_TYPES, EntryState, GRADES, INSTITUTION_KINDS, InstitutionState, ReplicationRecord,
} from '@tdx/contracts';
import { approvalProblem, FORWARDED_JOIN_PROBLEM, revocationProblem } from './identity-checks';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Checks of a received record that need no key: is the origin inside the sender's subtree, and
 * is the body a plausible state of that origin. Returns the reason for refusal, or undefined.
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
  }
}

function versioned(body: { id?: unknown; origin?: unknown; version?: unknown; status?: unknown }, origin: string): string | undefined {
  if (body.origin !== origin) return `body origin ${String(body.origin)} differs from record origin ${origin}`;
  if (typeof body.id !== 'string' || !UUID.test(body.id)) return 'body id is not a UUID';
  if (!Number.isSafeInteger(body.version) || (body.version as number) < 1) return 'body version is not a positive integer';
  if (!ENTRY_STATUSES.includes(body.status as never)) return 'body status is invalid';
  return undefined;
}

function entryProblem(body: EntryState, origin: string): string | undefined {
  return versioned(body, origin) ??
    (!ENTRY_TYPES.includes(body.type) || !GRADES.includes(body.grade) ? 'entry type or grade is invalid' : undefined) ??
    (typeof body.regionScope !== 'string' || !isWithin(body.regionScope, origin) ? `entry region scope lies outside origin ${origin}` : undefined) ??
    (!Array.isArray(body.dataItems) || !Array.isArray(body.relatedResources) ? 'entry lists are malformed' : undefined);
}

function institutionProblem(body: InstitutionState, origin: string): string | undefined {
  return versioned(body, origin) ?? (!INSTITUTION_KINDS.includes(body.kind) ? 'institution kind is invalid' : undefined);
}
