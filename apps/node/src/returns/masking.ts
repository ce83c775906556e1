import type { Grade } from '@tdx/contracts';

/**
 * Masking of sensitive data items before rows leave the holding node (Article 9, DB33/T 2351;
 * rules in docs/protocol.md, "Masking"). Items not flagged sensitive pass unchanged. A sensitive
 * item is always masked; the entry's grade decides how strongly:
 *
 * - L1, L2 `partial`: a recognisable shape with the identifying middle hidden;
 * - L3 `shape`: only the shape (every character but a separator becomes `*`);
 * - L4 `withheld`: the value never leaves (null).
 *
 * The masking itself runs in the holder's database (tdx_mask, migration MaskingInSql), inside the
 * query that reads a chunk; this module decides what it is asked to do.
 */
export const MASK_MODES = ['partial', 'shape', 'withheld'] as const;
export type MaskMode = (typeof MASK_MODES)[number];

export function maskModeFor(grade: Grade): MaskMode {
  if (grade === 'L4') return 'withheld';
  if (grade === 'L3') return 'shape';
  return 'partial';
}

export interface MaskPlan {
  mode: MaskMode;
  /** Names of the sensitive items, in the entry's order. */
  sensitive: string[];
}

export function maskPlan(grade: Grade, dataItems: { name: string; sensitive: boolean }[]): MaskPlan {
  return { mode: maskModeFor(grade), sensitive: dataItems.filter((item) => item.sensitive).map((item) => item.name) };
}
