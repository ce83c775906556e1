import { isValueCheck, type EntryState, type QualityRule, type QualityRuleSet } from '@tdx/contracts';

/** A value rule and the data items of one entry it applies to. */
export interface ItemRule {
  rule: QualityRule;
  items: string[];
}

/** Whether a rule applies to an entry of this type. */
export function appliesToEntry(rule: QualityRule, entry: Pick<EntryState, 'type'>): boolean {
  return !rule.appliesTo.entryTypes || rule.appliesTo.entryTypes.includes(entry.type);
}

/**
 * The value rules of an entry, each with the items it applies to: by item type, and by words of the
 * item's name (case-insensitive), less the excepted names. Rules that apply to no item are left out.
 */
export function itemPlan(rules: QualityRuleSet['rules'], entry: Pick<EntryState, 'type' | 'dataItems'>): ItemRule[] {
  const plan: ItemRule[] = [];
  for (const rule of rules) {
    if (!isValueCheck(rule.check) || !appliesToEntry(rule, entry)) continue;
    const a = rule.appliesTo;
    const has = (name: string, words?: string[]) => words?.some((w) => name.toLowerCase().includes(w.toLowerCase())) ?? false;
    const items = entry.dataItems
      .filter((i) => !a.itemTypes || a.itemTypes.includes(i.type))
      .filter((i) => !a.itemNames || has(i.name, a.itemNames))
      .filter((i) => !has(i.name, a.exceptItemNames))
      .map((i) => i.name);
    if (items.length > 0) plan.push({ rule, items: [...new Set(items)] });
  }
  return plan;
}
