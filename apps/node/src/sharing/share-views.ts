import type { EntryState, ShareEntrySummary, ShareView } from '@tdx/contracts';
import type { ShareRow } from './share-request.repository';

/** The API's view of one end's row: overdue is read off the sharing clock. */
export function shareView(r: ShareRow, now: Date): ShareView {
  const { rowSeq: _seq, ...rest } = r;
  return { ...rest, overdue: r.state === 'requested' && r.deadline !== null && Date.parse(r.deadline) < now.getTime() };
}

export function entrySummary(e: EntryState): ShareEntrySummary {
  return { name: e.name, code: e.code, grade: e.grade, shareType: e.shareType, providerId: e.providerId, dataItems: e.dataItems };
}
