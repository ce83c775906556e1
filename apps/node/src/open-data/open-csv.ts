/**
 * CSV of open data (RFC 4180, CRLF line ends), safe to open in a spreadsheet: a text cell starting
 * with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel and LibreOffice
 * (CSV injection), so it is prefixed with a single quote, which they show as text. A plain number
 * (`-12.50`) is left as it is: it is no formula, and a prefix would spoil it as a number.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
