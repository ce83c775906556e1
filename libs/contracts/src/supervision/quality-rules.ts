import { array, integer, object, oneOf, optional, Schema, text } from '../schema';
import { DATA_ITEM_TYPES, ENTRY_TYPES, type DataItemType, type EntryType } from '../vocabulary';
import { QUALITY_DIMENSIONS, qualityRuleId, type QualityDimension } from './quality';

/**
 * The quality rule set: which checks a node runs, on which entries and data items, with which
 * weights. It is data, so an operator can change it (PUT /api/v1/supervision/quality/rules) and
 * every score names the version it was computed under. A rule names a built-in check; which data
 * items a value check applies to is decided here by item type and name, never in code.
 */
export const QUALITY_CHECKS = {
  // Conformance of the catalog entry itself.
  'entry.summary': 'conformance',
  'entry.category': 'conformance',
  'entry.format': 'conformance',
  'entry.data-items': 'conformance',
  'entry.item-names-distinct': 'conformance',
  'entry.update-cycle': 'conformance',
  'entry.share-condition': 'conformance',
  'entry.share-legal-basis': 'conformance',
  'entry.open-grade': 'conformance',
  // The dataset's last load against the entry's update cycle.
  'dataset.on-time': 'timeliness',
  // Values of the data items the rule applies to, row by row.
  'value.present': 'completeness',
  'value.uscc': 'validity',
  'value.resident-id': 'validity',
  'value.division-code': 'validity',
  'value.date': 'validity',
  'value.datetime': 'validity',
  'value.unique': 'uniqueness',
} as const satisfies Record<string, QualityDimension>;
export type QualityCheck = keyof typeof QUALITY_CHECKS;
export const QUALITY_CHECK_NAMES = Object.keys(QUALITY_CHECKS) as QualityCheck[];

/** Whether a check looks at the values of data items (and so may name items in `appliesTo`). */
export function isValueCheck(check: QualityCheck): boolean {
  return check.startsWith('value.');
}

export interface QualityRuleScope {
  /** Entry types the rule applies to; all when absent. */
  entryTypes?: EntryType[];
  /** Value checks: item types the rule applies to; all when absent. */
  itemTypes?: DataItemType[];
  /** Value checks: an item applies when its name contains one of these (case-insensitive); all when absent. */
  itemNames?: string[];
  /** Value checks: an item whose name contains one of these does not apply (optional items, for `value.present`). */
  exceptItemNames?: string[];
}

export interface QualityRule {
  id: string;
  dimension: QualityDimension;
  check: QualityCheck;
  appliesTo: QualityRuleScope;
  /** 1..100: a defect of a heavier rule costs more within its dimension. */
  weight: number;
  description: { zh: string; en: string };
}

export interface QualityRuleSet {
  /** 0..100 each: how much each dimension counts in the overall score (at least one above 0). */
  dimensionWeights: { [D in QualityDimension]: number };
  rules: QualityRule[];
}

/** A rule set as the node holds it: numbered in the order it was stored. */
export interface QualityRuleSetView extends QualityRuleSet {
  version: number;
  setAt: string;
  /** Who stored it; `built-in` for the set the node starts with. */
  setBy: string;
}

export const QUALITY_MAX_RULES = 200;

const names = array(text(1, 100), 50);
const scope = object<QualityRuleScope>({
  entryTypes: optional(array(oneOf(ENTRY_TYPES), ENTRY_TYPES.length)),
  itemTypes: optional(array(oneOf(DATA_ITEM_TYPES), DATA_ITEM_TYPES.length)),
  itemNames: optional(names),
  exceptItemNames: optional(names),
});

const rule = object<QualityRule>({
  id: qualityRuleId,
  dimension: oneOf(QUALITY_DIMENSIONS),
  check: oneOf(QUALITY_CHECK_NAMES),
  appliesTo: scope,
  weight: integer(1, 100),
  description: object<{ zh: string; en: string }>({ zh: text(1, 200), en: text(1, 200) }),
});

const weights = object<QualityRuleSet['dimensionWeights']>({
  conformance: integer(0, 100),
  completeness: integer(0, 100),
  validity: integer(0, 100),
  uniqueness: integer(0, 100),
  timeliness: integer(0, 100),
});

/** A problem of a rule set: the field at fault and, within a rule, the rule's id. */
export interface QualityRuleSetProblem {
  field: string;
  rule?: string;
  message: string;
}

/** Every problem of an offered rule set (none: it may be stored). */
export function qualityRuleSetProblems(value: unknown): QualityRuleSetProblem[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [{ field: 'body', message: 'body must be an object' }];
  const body = value as Record<string, unknown>;
  const problems: QualityRuleSetProblem[] = [];
  const extra = Object.keys(body).filter((k) => k !== 'dimensionWeights' && k !== 'rules');
  for (const key of extra) problems.push({ field: key.slice(0, 40), message: `${key.slice(0, 40)} is not a field of a rule set` });
  const weightProblem = weights(body.dimensionWeights, 'dimensionWeights');
  if (weightProblem) problems.push({ field: 'dimensionWeights', message: weightProblem });
  else if (Object.values(body.dimensionWeights as Record<string, number>).every((w) => w === 0)) {
    problems.push({ field: 'dimensionWeights', message: 'dimensionWeights must give at least one dimension a weight above 0' });
  }
  if (!Array.isArray(body.rules) || body.rules.length < 1 || body.rules.length > QUALITY_MAX_RULES) {
    problems.push({ field: 'rules', message: `rules must be an array of 1 to ${QUALITY_MAX_RULES} rules` });
    return problems;
  }
  const seen = new Set<string>();
  body.rules.forEach((r: unknown, i: number) => {
    const path = `rules.${i}`;
    const id =
      typeof r === 'object' && r !== null && typeof (r as { id?: unknown }).id === 'string' ? ((r as { id: string }).id.slice(0, 80) as string) : undefined;
    const problem = rule(r, path) ?? crossCheck(r as QualityRule, path);
    if (problem) {
      problems.push({ field: fieldOf(problem, path), rule: id, message: id ? `rule ${id}: ${problem}` : problem });
      return;
    }
    if (seen.has((r as QualityRule).id)) problems.push({ field: `${path}.id`, rule: id, message: `rule ${id}: ${path}.id is given to another rule too` });
    seen.add((r as QualityRule).id);
  });
  return problems;
}

/** What one rule's fields cannot say alone: its dimension is its check's, and only value checks name items. */
function crossCheck(r: QualityRule, path: string): string | undefined {
  if (QUALITY_CHECKS[r.check] !== r.dimension) return `${path}.dimension must be ${QUALITY_CHECKS[r.check]}, the dimension of check ${r.check}`;
  const a = r.appliesTo;
  if (!isValueCheck(r.check) && (a.itemTypes || a.itemNames || a.exceptItemNames)) {
    return `${path}.appliesTo names data items, but check ${r.check} is about the entry, not its items`;
  }
  return undefined;
}

/** The field a schema's problem sentence starts with (`rules.3.weight must be ...`). */
function fieldOf(problem: string, fallback: string): string {
  const match = /^([A-Za-z0-9_.]+)/.exec(problem);
  return match && match[1].startsWith(fallback) ? match[1].replace(/[.:]$/, '') : fallback;
}

/** The rule set's schema as a whole, for a stored set read back. */
export const qualityRuleSet: Schema<QualityRuleSet> = ((value: unknown, path: string) => {
  const [first] = qualityRuleSetProblems(value);
  return first ? `${path}: ${first.message}` : undefined;
}) as Schema<QualityRuleSet>;
