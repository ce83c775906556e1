/**
 * Values are hashed as the node will read them back, so they must survive PostgreSQL unchanged:
 * text and jsonb refuse U+0000, and a lone UTF-16 surrogate would come back as U+FFFD (and then
 * fail its own hash). Both are replaced before hashing.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function cleanText(text: string, maxLength: number): string {
  const clean = text.replace(/\u0000/g, '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
  // Cut by code points, so a cut never leaves half a surrogate pair.
  const points = [...clean];
  return points.length > maxLength ? `${points.slice(0, maxLength - 1).join('')}…` : clean;
}

/** A JSON copy of `details` (no undefined, no functions, Dates as strings) with every string cleaned. */
export function cleanDetails(details: Record<string, unknown>): Record<string, unknown> {
  const json = JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
  return cleanValue(json) as Record<string, unknown>;
}

function cleanValue(value: unknown): unknown {
  if (typeof value === 'string') return cleanText(value, 2000);
  if (Array.isArray(value)) return value.map(cleanValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [cleanText(k, 200), cleanValue(v)]));
  }
  return value;
}
