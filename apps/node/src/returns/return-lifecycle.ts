import type { EntryState } from '@tdx/contracts';

/**
 * Why a request for `entryId` can no longer be served by `holder`, or null while it can: the entry
 * must still be an active `data` entry registered there, shared (share type not `none`). A grant
 * ends for good when this says so; it does not resume should the entry be shared again (the
 * requester asks anew, and the holder decides anew).
 */
export function unshareableReason(entry: EntryState | undefined, holder: string, entryId: string): string | null {
  if (!entry || entry.origin !== holder) return `entry ${entryId} is no longer held at ${holder}`;
  if (entry.type !== 'data') return `entry ${entry.code} is not a data resource`;
  if (entry.status !== 'active') return `entry ${entry.code} (${entry.name}) was retired at ${holder} (Article 11)`;
  if (entry.shareType === 'none') return `entry ${entry.code} (${entry.name}) is no longer shared: ${entry.legalBasis ?? 'no legal basis given'} (Article 10)`;
  return null;
}
