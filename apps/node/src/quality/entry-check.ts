import type { EntryState, QualityRuleSet } from '@tdx/contracts';
import { checkContent, SAMPLE_KEYS, type ItemRows } from './content-check';
import { ENTRY_CHECKS } from './entry-checks';
import { appliesToEntry, itemPlan } from './item-plan';
import type { RuleTally } from './tally';
import { lateness } from './timeliness';

/** How the check reads an entry's dataset (DatasetRowRepository, bound to the entry). */
export interface DatasetReader {
  page(items: string[], afterKey: string | null, limit: number): Promise<ItemRows>;
  repeats(item: string, sampleLimit: number): Promise<{ values: number; repeats: number; sample: string[] }>;
  lastWrite(): Promise<Date | null>;
}

/** Every rule of the set that applies to `entry`, as tallies; the dataset is read only for data entries. */
export async function checkEntry(
  entry: EntryState,
  rules: QualityRuleSet,
  now: Date,
  dataset: DatasetReader,
): Promise<{ rows: number; tallies: RuleTally[]; samples: Record<string, string[]> }> {
  const tallies: RuleTally[] = [];
  const samples: Record<string, string[]> = {};
  const tally = (rule: QualityRuleSet['rules'][number], checked: number, failed: number, defects: number) =>
    tallies.push({ rule: rule.id, dimension: rule.dimension, weight: rule.weight, checked, failed, defects });

  for (const rule of rules.rules) {
    const passes = ENTRY_CHECKS[rule.check];
    if (!passes || !appliesToEntry(rule, entry)) continue;
    const ok = passes(entry);
    tally(rule, 1, ok ? 0 : 1, ok ? 0 : 1);
  }
  const isData = entry.type === 'data';
  for (const rule of rules.rules) {
    if (rule.check !== 'dataset.on-time' || !appliesToEntry(rule, entry)) continue;
    // A dataset never loaded is judged from its entry's registration: one cycle's grace.
    const last = (isData ? await dataset.lastWrite() : null) ?? new Date(entry.createdAt);
    const late = lateness(entry.updateCycle, last, now);
    if (late !== null) tally(rule, 1, Math.round(late * 10_000) / 10_000, late > 0 ? 1 : 0);
  }
  if (!isData) return { rows: 0, tallies, samples };

  const plan = itemPlan(rules.rules, entry);
  const content = await checkContent(plan, (items, afterKey, limit) => dataset.page(items, afterKey, limit));
  tallies.push(...content.tallies);
  Object.assign(samples, content.samples);
  for (const { rule, items } of plan) {
    if (rule.check !== 'value.unique') continue;
    let values = 0;
    let repeats = 0;
    const keys: string[] = [];
    for (const item of items) {
      const found = await dataset.repeats(item, SAMPLE_KEYS);
      values += found.values;
      repeats += found.repeats;
      keys.push(...found.sample);
    }
    tally(rule, values, repeats, repeats);
    if (keys.length > 0) samples[rule.id] = keys.slice(0, SAMPLE_KEYS);
  }
  return { rows: content.rows, tallies, samples };
}
