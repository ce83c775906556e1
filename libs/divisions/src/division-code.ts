/**
 * GB/T 2260 six-digit administrative division codes, and the jurisdiction rule: a code is inside a
 * node's jurisdiction when it shares the node's prefix (2 digits for a province, 4 for a city, 6 for a county).
 */

export const DIVISION_LEVELS = ['province', 'city', 'county'] as const;
export type DivisionLevel = (typeof DIVISION_LEVELS)[number];

/**
 * The written form of a division code: six digits. The API refuses any other form (400); whether
 * a code of this form is a division at all, or one in reach, is a rule checked after (isDivisionCode).
 */
export const DIVISION_CODE_FORM = /^\d{6}$/;

/** Whether `value` is written as a division code (six digits); see DIVISION_CODE_FORM. */
export function hasDivisionCodeForm(value: unknown): value is string {
  return typeof value === 'string' && DIVISION_CODE_FORM.test(value);
}

/** A division code: six digits, not starting 00 (no province has code 00). */
export function isDivisionCode(code: unknown): code is string {
  return hasDivisionCodeForm(code) && code.slice(0, 2) !== '00';
}

/** Province `PP0000`, city `PPCC00`, county `PPCCXX`. */
export function levelOf(code: string): DivisionLevel {
  if (!isDivisionCode(code)) throw new RangeError(`not a six-digit division code: ${String(code)}`);
  if (code.endsWith('0000')) return 'province';
  if (code.endsWith('00')) return 'city';
  return 'county';
}

const PREFIX_LENGTH: Record<DivisionLevel, number> = { province: 2, city: 4, county: 6 };
const DEPTH: Record<DivisionLevel, number> = { province: 0, city: 1, county: 2 };

/** The digits a code must share with `jurisdiction` to lie inside it. */
export function jurisdictionPrefix(jurisdiction: string): string {
  return jurisdiction.slice(0, PREFIX_LENGTH[levelOf(jurisdiction)]);
}

/** True when `code` lies inside the jurisdiction of the division `jurisdiction` (itself included). */
export function isWithin(code: string, jurisdiction: string): boolean {
  return isDivisionCode(code) && code.startsWith(jurisdictionPrefix(jurisdiction));
}

/** True when `child` is one tier below `parent` and inside its jurisdiction (Article 9's tree). */
export function isDirectChild(child: string, parent: string): boolean {
  if (!isDivisionCode(child) || !isDivisionCode(parent)) return false;
  return DEPTH[levelOf(child)] === DEPTH[levelOf(parent)] + 1 && isWithin(child, parent);
}

/** True when `descendant` lies strictly below `ancestor`. */
export function isStrictlyBelow(descendant: string, ancestor: string): boolean {
  return descendant !== ancestor && isWithin(descendant, ancestor) && DEPTH[levelOf(descendant)] > DEPTH[levelOf(ancestor)];
}
