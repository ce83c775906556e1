import { QUALITY_DIMENSIONS, QUALITY_MAX_DEFECTS, type QualityDefectCount, type QualityDimension, type QualityDimensions } from '@tdx/contracts';

/**
 * What one rule found on one entry: how many checks it made, how much failed (a count of values,
 * or for timeliness a lateness from 0 to 1), and how many defects that is. Tallies add up across
 * entries, so an institution's and a node's scores are their entries' checks pooled.
 */
export interface RuleTally {
  rule: string;
  dimension: QualityDimension;
  weight: number;
  checked: number;
  failed: number;
  defects: number;
}

/** Scores of 0..100, rounded to two decimals: 100 × (1 − Σ weight·failed / Σ weight·checked) per dimension. */
export function dimensionScores(tallies: readonly RuleTally[]): QualityDimensions {
  const checked = new Map<QualityDimension, number>();
  const failed = new Map<QualityDimension, number>();
  for (const t of tallies) {
    checked.set(t.dimension, (checked.get(t.dimension) ?? 0) + t.weight * t.checked);
    failed.set(t.dimension, (failed.get(t.dimension) ?? 0) + t.weight * t.failed);
  }
  const scores = {} as QualityDimensions;
  for (const d of QUALITY_DIMENSIONS) {
    const c = checked.get(d) ?? 0;
    scores[d] = c > 0 ? round2(100 * (1 - (failed.get(d) ?? 0) / c)) : null;
  }
  return scores;
}

/** The weighted mean of the dimensions that were checked and weigh above 0; null when none. */
export function overallScore(dimensions: QualityDimensions, weights: { [D in QualityDimension]: number }): number | null {
  let sum = 0;
  let weight = 0;
  for (const d of QUALITY_DIMENSIONS) {
    const score = dimensions[d];
    if (score === null || weights[d] === 0) continue;
    sum += weights[d] * score;
    weight += weights[d];
  }
  return weight > 0 ? round2(sum / weight) : null;
}

/** The rules with the most defects, most first (ties by rule id), at most QUALITY_MAX_DEFECTS. */
export function topDefects(tallies: readonly RuleTally[]): QualityDefectCount[] {
  const counts = new Map<string, number>();
  for (const t of tallies) if (t.defects > 0) counts.set(t.rule, (counts.get(t.rule) ?? 0) + t.defects);
  return [...counts]
    .map(([rule, count]) => ({ rule, count }))
    .sort((a, b) => b.count - a.count || (a.rule < b.rule ? -1 : 1))
    .slice(0, QUALITY_MAX_DEFECTS);
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
