/** The console's languages: Chinese by default, English one click away. */
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/**
 * One area's messages in both languages. The type makes both catalogues hold the same keys: a key
 * missing from either fails the build, and catalogues.test.ts checks the same at run time.
 */
export function defineMessages<K extends string>(messages: {
  'zh-CN': Record<K, string>;
  en: Record<K, string>;
}): { 'zh-CN': Record<K, string>; en: Record<K, string> } {
  return messages;
}
