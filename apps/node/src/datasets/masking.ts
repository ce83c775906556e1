import { createHash } from 'node:crypto';
import { escapeLiteral } from 'pg';
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
 * The masking itself runs in the holder's database (tdx_mask, migration MaskingInSql): when a row
 * is written (its masked copy is kept beside it, migration MaskedAtRest) and, for a row masked
 * under another plan, inside the query that reads a chunk. This module decides what it is asked to do.
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

/**
 * The migration that last changed the rules of tdx_mask_text. A migration that changes them must
 * name itself here: the tag changes with it, so copies masked under the old rules are not served.
 */
const MASK_RULES = 'MaskingInSql1764330001000';

/**
 * A short name of the plan, kept beside each row's masked copy (dataset_row.masked_under): a
 * copy is served only while its plan (and the rules) are the entry's current ones. Null when
 * nothing is masked.
 */
export function maskPlanTag(plan: MaskPlan): string | null {
  if (plan.sensitive.length === 0) return null;
  return createHash('sha256')
    .update(JSON.stringify([MASK_RULES, plan.mode, plan.sensitive]))
    .digest('hex')
    .slice(0, 16);
}

/**
 * SQL: the masked form of the jsonb column `data` of the current row. Each sensitive item the row
 * has is replaced by its masked value (jsonb_set without create_missing, so an item the row lacks
 * stays absent); with nothing sensitive, `data` itself. A scalar subquery, so that inside a CASE
 * it costs nothing for rows that take another branch. Item names are quoted by pg's escapeLiteral.
 */
export function maskedDataSql(plan: MaskPlan): string {
  if (!MASK_MODES.includes(plan.mode)) throw new RangeError('maskedDataSql: bad mask mode');
  if (plan.sensitive.length === 0) return 'data';
  const items = plan.sensitive.map(escapeLiteral);
  const masked = items.reduce((expr, item, i) => `jsonb_set(${expr}, ARRAY[${item}], tdx_mask_item(item.k${i}, item.t${i}, '${plan.mode}'), false)`, 'data');
  // Each item's type and text once per row (OFFSET 0 keeps the subquery from being folded back
  // in: an inlined tdx_mask_item would compute its arguments again at every use).
  const parts = items.map((item, i) => `jsonb_typeof(data -> ${item}) AS k${i}, data ->> ${item} AS t${i}`);
  return `(SELECT ${masked} FROM (SELECT ${parts.join(', ')} OFFSET 0) item)`;
}
