import { findDivision } from '@tdx/divisions';

/*
 * Validity checks of single values, pure and total: each takes any text and says whether it is a
 * well-formed value of its kind. The quality rules decide which data items each applies to.
 */

/** GB 32100-2015: the 31 characters of a unified social credit code (digits and capitals but I, O, S, V, Z), each with its value. */
const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** Weight of position i (0-based) in the check: 3^i mod 31. */
const USCC_WEIGHTS = Array.from({ length: 17 }, (_, i) => Number(3n ** BigInt(i) % 31n));
const USCC_FORM = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/** The check character of the first 17 characters of a USCC (GB 32100-2015, MOD 31). */
export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARS.indexOf(first17[i]) * USCC_WEIGHTS[i];
  return USCC_CHARS[(31 - (sum % 31)) % 31];
}

/** A unified social credit code: 18 characters of the standard's set, positions 3-8 a division code's digits, the last its check character. */
export function isUscc(value: string): boolean {
  return USCC_FORM.test(value) && usccCheckChar(value.slice(0, 17)) === value[17];
}

/** GB 11643-1999 (ISO 7064 MOD 11-2): weight of position i is 2^(17-i) mod 11. */
const ID_WEIGHTS = Array.from({ length: 17 }, (_, i) => 2 ** (17 - i) % 11);
const ID_CHECK = '10X98765432';

export function residentIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i];
  return ID_CHECK[sum % 11];
}

/**
 * A resident identity number: 17 digits and a check character (a digit or X), whose positions 7-14
 * are a real birth date from 1900 to `today`, and whose first six digits are a division code of a
 * real province (see isDivisionCodeValue for how much of the code is checked).
 */
export function isResidentId(value: string, today = new Date()): boolean {
  if (!/^\d{17}[\dX]$/.test(value)) return false;
  if (!PROVINCES.has(value.slice(0, 2))) return false;
  const birth = `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`;
  if (!isCalendarDate(birth) || birth < '1900-01-01' || birth > today.toISOString().slice(0, 10)) return false;
  return residentIdCheckChar(value.slice(0, 17)) === value[17];
}

/** The two-digit province codes of GB/T 2260 (including Taiwan, Hong Kong and Macao). */
const PROVINCES = new Set('11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82'.split(' '));

/**
 * A division code value: six digits under a real province. A Zhejiang code (33....) must be one
 * of the province's divisions as libs/divisions lists them; a code of another province is taken
 * on its form, as this node holds no list of the other provinces' divisions.
 */
export function isDivisionCodeValue(value: string): boolean {
  if (!/^\d{6}$/.test(value) || !PROVINCES.has(value.slice(0, 2))) return false;
  return value.slice(0, 2) !== '33' || findDivision(value) !== undefined;
}

/** `YYYY-MM-DD`, a real day of the Gregorian calendar (no 2023-02-29), years 0001 to 9999. */
export function isCalendarDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * An ISO 8601 timestamp: a calendar date, `T` (or a space), hours and minutes, optional seconds and
 * fraction, optional `Z` or offset; every part in range (no 24:00, no 60th second).
 */
export function isTimestamp(value: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))?$/.exec(value);
  if (!m || !isCalendarDate(m[1])) return false;
  const [hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) return false;
  return m[5] === undefined || m[5] === 'Z' || (Number(m[6]) <= 14 && Number(m[7]) <= 59);
}
