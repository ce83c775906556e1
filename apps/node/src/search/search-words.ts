/** At most this many words in one query: each adds a LIKE and its grams to the index lookup. */
export const MAX_WORDS = 8;

/**
 * The words of a query as the index stores text: ASCII lower-cased only (the same in every locale,
 * as catalog_search_text does), split on white space.
 */
export function searchWords(q: string | undefined): string[] {
  if (!q) return [];
  return [
    ...new Set(
      q
        .replace(/[A-Z]/g, (c) => c.toLowerCase())
        .split(/\s+/u)
        .filter((w) => w.length > 0),
    ),
  ].slice(0, MAX_WORDS);
}

/**
 * The grams every matching entry holds (search_grams): the pairs of adjacent characters of each
 * word, or the character itself for a one-character word. Characters, not UTF-16 units.
 */
export function searchGrams(words: string[]): string[] {
  const grams = new Set<string>();
  for (const word of words) {
    const chars = [...word];
    if (chars.length === 1) grams.add(chars[0]);
    for (let i = 0; i + 1 < chars.length; i++) grams.add(chars[i] + chars[i + 1]);
  }
  return [...grams];
}

/** A LIKE pattern matching `word` anywhere, its wildcards taken literally. */
export function containsPattern(word: string): string {
  return `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
