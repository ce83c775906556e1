import type { EntryState, QualityCheck } from '@tdx/contracts';

/** The catalog entry's own conformance checks: true when the entry passes. docs/quality.md says what each asks. */
export const ENTRY_CHECKS: Partial<Record<QualityCheck, (e: EntryState) => boolean>> = {
  'entry.summary': (e) => e.summary.trim().length >= 10 && e.summary.trim() !== e.name.trim(),
  'entry.category': (e) => e.category.trim().length > 0,
  'entry.format': (e) => (e.format ?? '').trim().length > 0,
  'entry.data-items': (e) => e.dataItems.some((item) => item.name.trim().length > 0 && typeof item.type === 'string'),
  'entry.item-names-distinct': (e) => new Set(e.dataItems.map((i) => i.name.trim().toLowerCase())).size === e.dataItems.length,
  'entry.update-cycle': (e) => e.updateCycle !== 'irregular',
  'entry.share-condition': (e) => e.shareType !== 'conditional' || (e.shareCondition ?? '').trim().length >= 4,
  'entry.share-legal-basis': (e) => e.shareType !== 'none' || (e.legalBasis ?? '').trim().length >= 4,
  // L4 is never opened; L2 and L3 open only as restricted (after approval); L1 any way.
  'entry.open-grade': (e) => e.openType === 'prohibited' || (e.grade === 'L4' ? false : e.grade === 'L1' || e.openType === 'restricted'),
};
