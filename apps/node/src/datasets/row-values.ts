import type { DataItemType } from '@tdx/contracts';

/**
 * Values of a row as the API gives them, exactly as they were loaded (docs/operator-guide.md,
 * "Values come back as loaded"). PostgreSQL's jsonb keeps a number's every digit and its scale
 * (`4579.70` stays `4579.70`), but JSON.parse, which pg applies to jsonb, turns it into a double:
 * 4579.7, and 12345678901234567890.12 loses its last digits. So rows are read as jsonb text and
 * each number is kept as the text it was, then given by its item's type:
 *
 * - `decimal`: a JSON string of the decimal text, its scale kept (trailing zeros included);
 * - `integer`: a JSON number within ±(2^53 − 1), beyond that a JSON string of its digits (as an
 *   NDJSON upload gives it);
 * - the other types hold no numbers.
 */

/** Marks a number kept as text while parsing: PostgreSQL never stores NUL in jsonb, so no stored string starts with it. */
const NUMBER_MARK = '\u0000';
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** JSON text with each number token outside strings turned into the string `"\u0000<token>"`. */
export function markNumbers(json: string): string {
  let out = '';
  let from = 0;
  let i = 0;
  const n = json.length;
  while (i < n) {
    const c = json.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(json, i + 1);
    } else if (c === 0x2d || isDigit(c)) {
      let end = i + 1;
      while (end < n && isNumberChar(json.charCodeAt(end))) end++;
      out += `${json.slice(from, i)}"\\u0000${json.slice(i, end)}"`;
      from = end;
      i = end;
    } else i++;
  }
  return from === 0 ? json : out + json.slice(from);
}

/** The index after the closing quote of the string whose content starts at `from` (n when it never closes). */
function stringEnd(json: string, from: number): number {
  let i = from;
  for (;;) {
    const quote = json.indexOf('"', i);
    if (quote < 0) return json.length;
    // A quote after an odd number of backslashes is escaped.
    let slashes = 0;
    while (json.charCodeAt(quote - 1 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Digits, `.`, `e`, `E`, `+`, `-`. */
function isNumberChar(c: number): boolean {
  return isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

/** The number text of a value parsed from markNumbers' output, or undefined when it is no number. */
export function numberText(value: unknown): string | undefined {
  return typeof value === 'string' && value.startsWith(NUMBER_MARK) ? value.slice(1) : undefined;
}

/** A row's data (jsonb as text, or null for none) with its values as the API gives them. */
export function rowData(text: string | null, items: readonly { name: string; type: DataItemType }[]): Record<string, unknown> | null {
  if (text === null) return null;
  const types = new Map(items.map((item) => [item.name, item.type]));
  const parsed = JSON.parse(markNumbers(text)) as Record<string, unknown>;
  // fromEntries, not assignment: an item named __proto__ stays an item.
  return Object.fromEntries(
    Object.entries(parsed).map(([name, value]) => {
      const number = numberText(value);
      return [name, number === undefined ? value : apiNumber(number, types.get(name))];
    }),
  );
}

function apiNumber(text: string, type: DataItemType | undefined): string | number {
  if (type === 'decimal') return text;
  if (type === 'integer' && /^-?\d+$/.test(text)) {
    const n = BigInt(text);
    return n > MAX_SAFE || n < -MAX_SAFE ? text : Number(n);
  }
  // A number under another type (the entry's items changed since): its closest double.
  return Number(text);
}
