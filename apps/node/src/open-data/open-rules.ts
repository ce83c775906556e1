import type { EntryState } from '@tdx/contracts';
import type { Refusal } from '../common/domain-refusal';

type OpenCandidate = Pick<EntryState, 'type' | 'status' | 'grade' | 'openType'>;

/**
 * What the public asks of an open entry: to see its metadata, to read its rows, or to apply for
 * them. The rows of a restricted entry need an approved application besides (checked by its origin).
 */
export type OpenUse = 'detail' | 'rows' | 'apply';

const ARTICLE = 'Article 10; DB33/T 2351';

/**
 * The rules that refuse the public an entry (422, each naming its article), whatever a stored row
 * or a replica says: every path to open data (catalog, detail, rows, download, application, the
 * origin's answer to another node) asks this one function. A prohibited or L4 entry is refused to
 * every use, its metadata too: the open catalog lists only what may be opened, so the public
 * learns nothing of a prohibited resource beyond the refusal itself.
 */
export function openRefusals(entry: OpenCandidate, use: OpenUse): Refusal[] {
  const refusals: Refusal[] = [];
  if (entry.status !== 'active') {
    refusals.push({ rule: 'open-entry-retired', article: 'Article 10', message: 'the entry is retired: it is no longer opened' });
  }
  if (entry.grade === 'L4') {
    refusals.push({ rule: 'open-l4-never', article: ARTICLE, message: 'an L4 (sensitive) resource is never opened, by any path' });
  }
  if (entry.openType === 'prohibited') {
    refusals.push({ rule: 'open-prohibited', article: 'Article 10', message: 'the resource is not opened to the public (open type prohibited)' });
  }
  if (entry.openType === 'unconditional' && entry.grade !== 'L1') {
    // Refused at registration and on receipt of a replica; held here too, whatever got in.
    refusals.push({ rule: 'open-grade-mismatch', article: ARTICLE, message: `an ${entry.grade} resource opens only as restricted` });
  }
  if (use !== 'detail' && entry.type !== 'data') {
    refusals.push({ rule: 'open-not-data', article: 'Article 10', message: `a ${entry.type} resource has no rows to open` });
  }
  if (use === 'apply' && entry.openType === 'unconditional') {
    refusals.push({
      rule: 'open-no-application-needed',
      article: 'Article 10',
      message: 'the resource is opened unconditionally: download it without an application',
    });
  }
  return refusals;
}

/** Whether the public may see the entry in the open catalog at all. */
export function isOpenToPublic(entry: OpenCandidate): boolean {
  return openRefusals(entry, 'detail').length === 0;
}
