import type { Grade } from '@tdx/contracts';

/**
 * Masking of sensitive data items before rows leave the holding node (Article 9, DB33/T 2351;
 * rules in docs/protocol.md, "Returning data"). Items not flagged sensitive pass unchanged. A
 * sensitive item is always masked; the entry's grade decides how strongly:
 *
 * - L1, L2 `partial`: a recognisable shape with the identifying middle hidden;
 * - L3 `shape`: only the shape (every letter and digit becomes `*`, separators and length stay);
 * - L4 `withheld`: the value never leaves (null).
 *
 * Numbers and booleans cannot carry a masked shape, so a sensitive one is null at every grade:
 * a rounded or altered number would be a false value, not a masked one.
 */
export type MaskMode = 'partial' | 'shape' | 'withheld';

export function maskModeFor(grade: Grade): MaskMode {
  if (grade === 'L4') return 'withheld';
  if (grade === 'L3') return 'shape';
  return 'partial';
}

export interface MaskPlan {
  mode: MaskMode;
  sensitive: string[];
}

export function maskPlan(grade: Grade, dataItems: { name: string; sensitive: boolean }[]): MaskPlan {
  return { mode: maskModeFor(grade), sensitive: dataItems.filter((item) => item.sensitive).map((item) => item.name) };
}

/** A copy of `data` with its sensitive items masked; `data` itself is not changed. */
export function maskRow(data: Record<string, unknown>, plan: MaskPlan): Record<string, unknown> {
  if (plan.sensitive.length === 0) return data;
  const masked = { ...data };
  for (const name of plan.sensitive) {
    if (name in masked) masked[name] = maskValue(masked[name], plan.mode);
  }
  return masked;
}

const ID_CARD = /^\d{17}[\dXx]$/;
const MOBILE = /^1\d{10}$/;
const PERSON_NAME = /^[\p{Script=Han}·]{2,6}$/u;
const EMAIL = /^([^@\s]+)@([^@\s]+)$/;
const DATE = /^(\d{4})-\d{2}-\d{2}(.*)$/;

export function maskValue(value: unknown, mode: MaskMode): unknown {
  if (value === null || value === undefined) return null;
  if (mode === 'withheld' || typeof value !== 'string') return null;
  return mode === 'shape' ? shapeOnly(value) : partial(value);
}

function partial(value: string): string {
  const chars = [...value];
  if (ID_CARD.test(value)) return `${value.slice(0, 6)}${'*'.repeat(8)}${value.slice(14)}`;
  if (MOBILE.test(value)) return `${value.slice(0, 3)}****${value.slice(7)}`;
  if (PERSON_NAME.test(value)) return chars[0] + '*'.repeat(chars.length - 1);
  const email = EMAIL.exec(value);
  if (email) return `${[...email[1]][0]}***@${email[2]}`;
  const date = DATE.exec(value);
  if (date) return `${date[1]}-**-**`;
  // Anything else: the first and last quarter stay, the middle is hidden (short values entirely).
  const keep = Math.floor(chars.length / 4);
  return chars.slice(0, keep).join('') + '*'.repeat(chars.length - 2 * keep) + chars.slice(chars.length - keep).join('');
}

function shapeOnly(value: string): string {
  return value.replace(/[\p{L}\p{N}]/gu, '*');
}
