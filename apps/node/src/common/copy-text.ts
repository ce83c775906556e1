/**
 * PostgreSQL's COPY text format: fields separated by tabs, rows by newlines, `\N` for null, and
 * backslash escapes for the characters that would otherwise end a field or a row.
 */

/** A text field: backslash, tab and line breaks are escaped. */
export function copyTextField(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : value;
}

/**
 * A JSON text as a field. JSON text has no raw tabs or line breaks (JSON escapes them inside
 * strings, and PostgreSQL's and V8's serialisers put none between tokens), so only backslashes
 * need doubling.
 */
export function copyJsonField(json: string): string {
  return json.includes('\\') ? json.replace(/\\/g, '\\\\') : json;
}
