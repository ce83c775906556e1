/**
 * Whether a data item a project plans to collect is one the catalog already holds (Article 12 (d),
 * collecting data again). Names are Chinese, written by different institutions in different ways,
 * so they are compared in three steps, each documented in docs/projects.md with its measured quality:
 *
 * 1. the normalised forms are equal (normaliseItemName);
 * 2. or both normalised forms are in one synonym group (an operator-kept table: 身份证号 ~ 公民身份号码);
 * 3. or their character bigrams are nearly the same set (Dice coefficient at least BIGRAM_THRESHOLD).
 */

/**
 * Suffixes that say nothing about what an item is ("企业登记信息" is "企业登记"): dropped when at least
 * two characters remain. 名称 and 代码 are not among them: they tell a name from a code, and
 * dropping both would make 机构名称 and 机构代码 one item.
 */
const NEUTRAL_SUFFIXES = ['信息', '数据', '资料', '情况', '记录'];

/** Suffixes written two ways: the long form becomes the short one (身份证号码 is 身份证号). */
const SHORTER_SUFFIX: [string, string][] = [
  ['号码', '号'],
  ['名称', '名'],
];

/** Characters written two ways in item names, mapped to one (银行帐号 is 银行账号). */
const VARIANT_CHARACTERS: Record<string, string> = { 帐: '账', 仟: '千', 佰: '百' };

/**
 * The Dice coefficient of two names' bigram sets at or above which they are one item. Chosen on
 * the labelled sample (item-pairs.fixture.json) above the hard negatives that differ in one
 * qualifying character: 父亲身份证号 and 母亲身份证号 score 0.80, 上年度营业收入 and 本年度营业收入
 * 0.83; 联系电话号码 and 联系电话 (0.86) still match.
 */
export const BIGRAM_THRESHOLD = 0.85;
/** Below this many characters a bigram set is too small to compare (two names of 3 characters share at most 2 bigrams). */
const BIGRAM_MIN_LENGTH = 4;

/**
 * The comparable form of a data item's name: Unicode NFKC (full-width letters, digits and
 * punctuation become half-width), lower case, a parenthesised qualifier dropped ("联系电话（手机）"
 * is 联系电话, "金额(元)" is 金额), punctuation, symbols, spaces and underscores removed, then the
 * suffix rules above, applied until none applies.
 */
export function normaliseItemName(name: string): string {
  let s = [...name.normalize('NFKC').toLowerCase().trim()].map((c) => VARIANT_CHARACTERS[c] ?? c).join('');
  const unbracketed = s.replace(/\([^()]*\)|\[[^[\]]*\]|【[^【】]*】|〔[^〔〕]*〕/g, '');
  if (/[\p{L}\p{N}]/u.test(unbracketed)) s = unbracketed;
  s = s.replace(/[\p{P}\p{S}\p{Z}\s_]/gu, '');
  for (let changed = true; changed;) {
    changed = false;
    for (const suffix of NEUTRAL_SUFFIXES) {
      if (s.endsWith(suffix) && s.length - suffix.length >= 2) {
        s = s.slice(0, -suffix.length);
        changed = true;
      }
    }
    for (const [long, short] of SHORTER_SUFFIX) {
      if (s.endsWith(long) && s.length - long.length >= 1) {
        s = s.slice(0, -long.length) + short;
        changed = true;
      }
    }
  }
  return s;
}

function bigrams(s: string): Set<string> {
  const chars = [...s];
  const out = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i] + chars[i + 1]);
  return out;
}

/** The Dice coefficient of the two forms' character bigram sets: 2|A∩B| / (|A|+|B|). */
export function bigramSimilarity(a: string, b: string): number {
  const x = bigrams(a);
  const y = bigrams(b);
  if (x.size === 0 || y.size === 0) return 0;
  let shared = 0;
  for (const g of x) if (y.has(g)) shared++;
  return (2 * shared) / (x.size + y.size);
}

export type MatchKind = 'exact' | 'synonym' | 'similar';

export interface ItemMatch {
  kind: MatchKind;
  /** The Dice coefficient for `similar`; 1 otherwise. */
  score: number;
}

/**
 * Matches names against a synonym table. Groups are sets of names; two names are synonyms when
 * their normalised forms are in one group (not transitively across groups: a name in two groups
 * links each group's names to it, not the groups to each other).
 */
export class ItemMatcher {
  private readonly groupsOf = new Map<string, Set<number>>();
  /** The normalised forms of each group. */
  private readonly membersOf: string[][] = [];

  constructor(groups: readonly (readonly string[])[]) {
    groups.forEach((names, index) => {
      this.membersOf[index] = [];
      for (const name of names) {
        const form = normaliseItemName(name);
        if (!form) continue;
        this.membersOf[index].push(form);
        const held = this.groupsOf.get(form) ?? new Set<number>();
        held.add(index);
        this.groupsOf.set(form, held);
      }
    });
  }

  /** The normalised names that share a synonym group with `form` (itself excluded). */
  synonymsOf(form: string): string[] {
    const groups = this.groupsOf.get(form);
    if (!groups) return [];
    const forms = new Set([...groups].flatMap((g) => this.membersOf[g]));
    forms.delete(form);
    return [...forms];
  }

  /** How `planned` matches `existing`, or undefined when they are different items. */
  match(planned: string, existing: string): ItemMatch | undefined {
    return this.matchForms(normaliseItemName(planned), normaliseItemName(existing));
  }

  /** The same, on forms already normalised (a review compares each planned item with every catalog item). */
  matchForms(a: string, b: string): ItemMatch | undefined {
    if (!a || !b) return undefined;
    if (a === b) return { kind: 'exact', score: 1 };
    const ga = this.groupsOf.get(a);
    const gb = this.groupsOf.get(b);
    if (ga && gb && [...ga].some((g) => gb.has(g))) return { kind: 'synonym', score: 1 };
    if ([...a].length < BIGRAM_MIN_LENGTH || [...b].length < BIGRAM_MIN_LENGTH) return undefined;
    const score = bigramSimilarity(a, b);
    return score >= BIGRAM_THRESHOLD ? { kind: 'similar', score: Math.round(score * 100) / 100 } : undefined;
  }
}

/**
 * The planned items of one project, indexed so that each catalog item costs a few map lookups
 * instead of a comparison with every planned item: the province compares a project's hundreds of
 * items with millions of catalog items. Finds exactly what ItemMatcher.matchForms finds for each
 * pair (item-matcher.spec.ts checks it against the pairwise loop).
 */
export class PlannedItems {
  private readonly byForm = new Map<string, number[]>();
  private readonly byBigram = new Map<string, number[]>();
  private readonly forms: string[];
  private readonly bigramCounts: number[];

  constructor(
    private readonly matcher: ItemMatcher,
    readonly names: readonly string[],
  ) {
    this.forms = names.map(normaliseItemName);
    this.bigramCounts = this.forms.map((f) => bigrams(f).size);
    this.forms.forEach((form, i) => {
      if (!form) return;
      this.byForm.set(form, [...(this.byForm.get(form) ?? []), i]);
      if ([...form].length < BIGRAM_MIN_LENGTH) return;
      for (const g of bigrams(form)) this.byBigram.set(g, [...(this.byBigram.get(g) ?? []), i]);
    });
  }

  /** The planned items (by index) that `existing` matches, and how. */
  matches(existing: string): { index: number; match: ItemMatch }[] {
    const form = normaliseItemName(existing);
    if (!form) return [];
    const found = new Map<number, ItemMatch>();
    for (const i of this.byForm.get(form) ?? []) found.set(i, { kind: 'exact', score: 1 });
    for (const i of this.matcher.synonymsOf(form)) {
      for (const j of this.byForm.get(i) ?? []) if (!found.has(j)) found.set(j, { kind: 'synonym', score: 1 });
    }
    if ([...form].length >= BIGRAM_MIN_LENGTH) {
      const own = bigrams(form);
      const shared = new Map<number, number>();
      for (const g of own) for (const i of this.byBigram.get(g) ?? []) shared.set(i, (shared.get(i) ?? 0) + 1);
      for (const [i, n] of shared) {
        const score = (2 * n) / (own.size + this.bigramCounts[i]);
        if (!found.has(i) && score >= BIGRAM_THRESHOLD) found.set(i, { kind: 'similar', score: Math.round(score * 100) / 100 });
      }
    }
    return [...found].map(([index, match]) => ({ index, match }));
  }
}
