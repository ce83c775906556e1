import type { ComputeAmounts } from '@tdx/contracts';
import type { Refusal } from '../common/domain-refusal';

/** An allocation's amounts and its period (ISO dates, inclusive; `to` null: open-ended). */
export interface Period extends ComputeAmounts {
  from: string;
  to: string | null;
}

const DIMENSIONS = ['vcpu', 'memoryGiB', 'storageTiB'] as const;
const NAMES: Record<(typeof DIMENSIONS)[number], string> = { vcpu: 'vCPU', memoryGiB: 'memory (GiB)', storageTiB: 'storage (TiB)' };

/** Thousandths as integers: the database keeps three decimals, and sums of them must compare exactly. */
const milli = (n: number) => Math.round(n * 1000);

function holds(p: Period, day: string): boolean {
  return p.from <= day && (p.to === null || day <= p.to);
}

/**
 * The most allocated at once, per dimension, on any day of `window` (or of all time). The sum of
 * intervals only rises where one starts, so the days to look at are the window's first day and
 * every allocation's first day inside it.
 */
export function peakAllocated(allocations: Period[], window?: { from: string; to: string | null }): ComputeAmounts {
  const inWindow = (day: string) => !window || (day >= window.from && (window.to === null || day <= window.to));
  const days = new Set(allocations.map((a) => a.from).filter(inWindow));
  if (window) days.add(window.from);
  const peak = { vcpu: 0, memoryGiB: 0, storageTiB: 0 };
  for (const day of days) {
    const on = allocations.filter((a) => holds(a, day));
    for (const d of DIMENSIONS)
      peak[d] = Math.max(
        peak[d],
        on.reduce((sum, a) => sum + milli(a[d]), 0),
      );
  }
  return { vcpu: peak.vcpu / 1000, memoryGiB: peak.memoryGiB / 1000, storageTiB: peak.storageTiB / 1000 };
}

/** What is allocated on `day`: the sum of the allocations whose period holds it. */
export function allocatedOn(allocations: Period[], day: string): ComputeAmounts {
  const on = allocations.filter((a) => holds(a, day));
  const sum = (d: (typeof DIMENSIONS)[number]) => on.reduce((s, a) => s + milli(a[d]), 0) / 1000;
  return { vcpu: sum('vcpu'), memoryGiB: sum('memoryGiB'), storageTiB: sum('storageTiB') };
}

/**
 * Article 11: compute is allocated out of a resource's capacity, never beyond it. A new allocation
 * is refused when, on any day of its period, it and the allocations already holding that day would
 * exceed the capacity in any dimension.
 */
export function allocationRefusals(capacity: ComputeAmounts, existing: Period[], next: Period): Refusal[] {
  const peak = peakAllocated([...existing, next], { from: next.from, to: next.to });
  return DIMENSIONS.filter((d) => milli(peak[d]) > milli(capacity[d])).map((d) => ({
    rule: 'allocation-exceeds-capacity',
    article: 'Article 11',
    message: `allocations would reach ${peak[d]} ${NAMES[d]} on some day from ${next.from}, above the capacity of ${capacity[d]}`,
  }));
}

/** A capacity may not be lowered below what is allocated on any day (past allocations count: the record stays true). */
export function capacityRefusals(capacity: ComputeAmounts, existing: Period[]): Refusal[] {
  const peak = peakAllocated(existing);
  return DIMENSIONS.filter((d) => milli(peak[d]) > milli(capacity[d])).map((d) => ({
    rule: 'capacity-below-allocations',
    article: 'Article 11',
    message: `the allocations reach ${peak[d]} ${NAMES[d]} on some day, above the new capacity of ${capacity[d]}`,
  }));
}
