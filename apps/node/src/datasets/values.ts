import type { DataItemType } from '@tdx/contracts';
import { numberText } from './row-values';

/**
 * Checks one value against its data item type and gives it as JSON text for the `data` object.
 * CSV gives text (null for an empty field); NDJSON gives a parsed JSON value. A value that does
 * not fit is a message, not an exception: uploads report many of them by line.
 */
export type Converted = { json: string } | { error: string };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^[+-]?\d{1,19}$/;
/** A JSON number with an exponent: sign, digits, fraction, exponent. */
const EXPONENT = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** NUL and unpaired surrogates (only NDJSON escapes can make them): PostgreSQL stores neither. */
const UNSTORABLE = /\u0000|\p{Surrogate}/u;
const NULL_JSON: Converted = { json: 'null' };
const TRUE_JSON: Converted = { json: 'true' };
const FALSE_JSON: Converted = { json: 'false' };

/** A CSV field (null = empty) as JSON text of the item's type. */
export function fromText(type: DataItemType, text: string | null): Converted {
  if (text === null) return NULL_JSON;
  switch (type) {
    case 'string':
      return hasUnstorable(text) ? { error: 'contains a NUL character or an unpaired surrogate' } : { json: JSON.stringify(text) };
    case 'integer':
      return integer(text);
    case 'decimal':
      return decimal(text);
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower === 'true') return TRUE_JSON;
      if (lower === 'false') return FALSE_JSON;
      return { error: `"${clip(text)}" is not a boolean (true or false)` };
    }
    case 'date':
      return isDate(text) ? { json: JSON.stringify(text) } : { error: `"${clip(text)}" is not a date (YYYY-MM-DD)` };
    case 'datetime': {
      const normal = text.length > 10 && text[10] === ' ' ? `${text.slice(0, 10)}T${text.slice(11)}` : text;
      return isDateTime(text)
        ? { json: JSON.stringify(normal) }
        : { error: `"${clip(text)}" is not an ISO 8601 date and time (YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM])` };
    }
    case 'binary':
      return BASE64.test(text) ? { json: JSON.stringify(text) } : { error: 'is not base64 (RFC 4648, with padding)' };
  }
}

/**
 * A value of an NDJSON object as JSON text of the item's type. The line is parsed with its numbers
 * kept as text (markNumbers), so that a number's digits reach the database exactly as sent.
 */
export function fromJson(type: DataItemType, parsed: unknown): Converted {
  if (parsed === null || parsed === undefined) return NULL_JSON;
  const number = numberText(parsed);
  if (number !== undefined && type === 'integer') return /^-?\d+$/.test(number) ? integer(number) : { error: `${clip(number)} is not an integer` };
  if (number !== undefined && type === 'decimal') return decimal(plainDecimal(number) ?? number);
  const value = number === undefined ? parsed : Number(number);
  switch (type) {
    case 'string':
      return typeof value === 'string' ? fromText('string', value) : { error: `must be a string, not ${describe(value)}` };
    case 'integer':
      if (typeof value === 'number')
        return Number.isSafeInteger(value) ? { json: String(value) } : { error: `${value} is not an integer (give integers beyond 2^53 as strings)` };
      return typeof value === 'string' ? integer(value) : { error: `must be an integer, not ${describe(value)}` };
    case 'decimal':
      if (typeof value === 'number') return { json: JSON.stringify(value) };
      return typeof value === 'string' ? decimal(value) : { error: `must be a decimal number, not ${describe(value)}` };
    case 'boolean':
      return typeof value === 'boolean' ? (value ? TRUE_JSON : FALSE_JSON) : { error: `must be true or false, not ${describe(value)}` };
    default:
      return typeof value === 'string' ? fromText(type, value) : { error: `must be a string holding a ${type}, not ${describe(value)}` };
  }
}

export function hasUnstorable(text: string): boolean {
  return UNSTORABLE.test(text);
}

function integer(text: string): Converted {
  if (!INTEGER.test(text)) return { error: `"${clip(text)}" is not an integer` };
  const n = BigInt(text);
  if (n < INT64_MIN || n > INT64_MAX) return { error: `${clip(text)} is outside the 64-bit integer range` };
  return { json: n.toString() };
}

/** Plain decimal notation; written as a canonical JSON number (no leading zeros or bare point). */
function decimal(text: string): Converted {
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '') || text.length > 100) return { error: `"${clip(text)}" is not a decimal number` };
  const whole = m[2].replace(/^0+(?=\d)/, '') || '0';
  const fraction = m[3] ? `.${m[3]}` : '';
  return { json: `${m[1] === '-' ? '-' : ''}${whole}${fraction}` };
}

/** A JSON number with an exponent in plain notation (1.5e3 is 1500), or undefined; at most 100 characters. */
function plainDecimal(text: string): string | undefined {
  const m = EXPONENT.exec(text);
  if (!m) return undefined;
  const exponent = Number(m[4]);
  const digits = `${m[2]}${m[3] ?? ''}`;
  const point = m[2].length + exponent;
  if (Math.abs(exponent) > 100) return undefined;
  const plain =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? `${digits}${'0'.repeat(point - digits.length)}`
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${m[1]}${plain}`;
}

export function isDate(text: string): boolean {
  const m = DATE.exec(text);
  return m !== null && validDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

function isDateTime(text: string): boolean {
  const m = DATETIME.exec(text);
  if (!m || !validDay(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || (m[6] !== undefined && Number(m[6]) > 59)) return false;
  return m[8] === undefined || (Number(m[8]) <= 14 && Number(m[9]) <= 59);
}

function validDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= days[month - 1];
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${clip(JSON.stringify(value))}`;
}

/** Values quoted in error messages are cut short: a message never echoes a whole line. */
export function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
