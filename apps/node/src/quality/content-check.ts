import type { ItemRule } from './item-plan';
import type { RuleTally } from './tally';
import { isMissing, VALUE_VALIDATORS } from './value-checks';

/** How many row keys of each rule's defects a result keeps, to show where to look (keys only, never values). */
export const SAMPLE_KEYS = 5;
/** Rows per page of the scan: big enough that round trips do not dominate, small enough to bound memory. */
export const SCAN_BATCH = 5000;

/** One page of the scan: each live row's key and the text of each scanned item (null when absent). */
export type ItemRows = { rowKey: string; values: (string | null)[] }[];

export interface ContentResult {
  rows: number;
  tallies: RuleTally[];
  samples: Record<string, string[]>;
}

/**
 * Completeness and validity of a dataset, in one keyset scan whose memory is one page, whatever the
 * dataset's size. `page(items, afterKey, limit)` reads the next rows in row key order.
 */
export async function checkContent(
  plan: ItemRule[],
  page: (items: string[], afterKey: string | null, limit: number) => Promise<ItemRows>,
): Promise<ContentResult> {
  const scanned = plan.filter((p) => p.rule.check === 'value.present' || VALUE_VALIDATORS[p.rule.check]);
  const items = [...new Set(scanned.flatMap((p) => p.items))];
  const columns = scanned.map((p) => ({
    tally: { rule: p.rule.id, dimension: p.rule.dimension, weight: p.rule.weight, checked: 0, failed: 0, defects: 0 } as RuleTally,
    present: p.rule.check === 'value.present',
    valid: VALUE_VALIDATORS[p.rule.check],
    at: p.items.map((name) => items.indexOf(name)),
    samples: [] as string[],
  }));
  let rows = 0;
  let after: string | null = null;
  for (;;) {
    const batch = await page(items, after, SCAN_BATCH);
    for (const row of batch) {
      for (const c of columns) {
        let bad = 0;
        for (const i of c.at) {
          const value = row.values[i];
          if (c.present) {
            c.tally.checked++;
            if (isMissing(value)) bad++;
          } else if (!isMissing(value)) {
            c.tally.checked++;
            if (!c.valid!(value as string)) bad++;
          }
        }
        if (bad > 0) {
          c.tally.failed += bad;
          if (c.samples.length < SAMPLE_KEYS) c.samples.push(row.rowKey);
        }
      }
    }
    rows += batch.length;
    if (batch.length < SCAN_BATCH) break;
    after = batch[batch.length - 1].rowKey;
  }
  for (const c of columns) c.tally.defects = c.tally.failed;
  return {
    rows,
    tallies: columns.map((c) => c.tally),
    samples: Object.fromEntries(columns.filter((c) => c.samples.length).map((c) => [c.tally.rule, c.samples])),
  };
}
