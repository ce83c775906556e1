import type { MaskPlan } from '../../src/datasets/masking';

/**
 * The masking rules of docs/protocol.md ("Masking"), written again in JavaScript from the text of
 * the rules, as the tests' oracle: the holder masks in SQL (tdx_mask), and the tests compare
 * what arrives with what this says should arrive.
 */
const HAN = '\\u00B7\\u3007\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uF900-\\uFAFF\\u{20000}-\\u{2FA1F}\\u{30000}-\\u{323AF}';
const SPACE = '\\t\\n\\v\\f\\r \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF';
const PERSON_NAME = new RegExp(`^[${HAN}]{2,6}$`, 'u');
const EMAIL = new RegExp(`^[^@${SPACE}]+@[^@${SPACE}]+$`, 'u');
const SEPARATORS = new Set([...' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', '·', '—', '\u3000', '、', '。', '（', '）', '，', '－', '／', '：']);

export function oracleMaskRow(data: Record<string, unknown>, plan: MaskPlan): Record<string, unknown> {
  const masked = { ...data };
  for (const name of plan.sensitive) if (name in masked) masked[name] = oracleMaskValue(masked[name], plan.mode);
  return masked;
}

export function oracleMaskValue(value: unknown, mode: MaskPlan['mode']): unknown {
  if (mode === 'withheld' || typeof value !== 'string') return null;
  const chars = [...value];
  if (mode === 'shape') return chars.map((c) => (SEPARATORS.has(c) ? c : '*')).join('');
  if (/^[0-9]{17}[0-9Xx]$/.test(value)) return `${value.slice(0, 6)}********${value.slice(14)}`;
  if (/^1[0-9]{10}$/.test(value)) return `${value.slice(0, 3)}****${value.slice(7)}`;
  if (PERSON_NAME.test(value)) return chars[0] + '*'.repeat(chars.length - 1);
  if (EMAIL.test(value)) return `${chars[0]}***${value.slice(value.indexOf('@'))}`;
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(value)) return `${value.slice(0, 4)}-**-**`;
  const keep = Math.floor(chars.length / 4);
  return chars.slice(0, keep).join('') + '*'.repeat(chars.length - 2 * keep) + chars.slice(chars.length - keep).join('');
}
