import { allocatedOn, allocationRefusals, capacityRefusals, peakAllocated, type Period } from './resource-rules';

const p = (vcpu: number, from: string, to: string | null, memoryGiB = 0, storageTiB = 0): Period => ({ vcpu, memoryGiB, storageTiB, from, to });
const capacity = { vcpu: 10, memoryGiB: 10, storageTiB: 1 };

describe('compute allocation rules (Article 11)', () => {
  it('finds the peak on the day allocations overlap most, inside a window', () => {
    const held = [p(4, '2026-01-01', '2026-03-31'), p(3, '2026-03-01', null), p(5, '2026-04-01', '2026-04-30')];
    expect(peakAllocated(held).vcpu).toBe(8);
    expect(peakAllocated(held, { from: '2026-01-01', to: '2026-02-28' }).vcpu).toBe(4);
    // A window starting inside an allocation counts it from the window's first day.
    expect(peakAllocated(held, { from: '2026-03-15', to: '2026-03-20' }).vcpu).toBe(7);
    expect(allocatedOn(held, '2026-05-01').vcpu).toBe(3);
  });

  it('refuses an allocation that would exceed capacity on any day of its period, per dimension, naming the rule', () => {
    const held = [p(6, '2026-01-01', '2026-06-30')];
    expect(allocationRefusals(capacity, held, p(4, '2026-06-30', null))).toEqual([]);
    expect(allocationRefusals(capacity, held, p(5, '2026-06-30', '2026-06-30')).map((r) => r.rule)).toEqual(['allocation-exceeds-capacity']);
    expect(allocationRefusals(capacity, held, p(5, '2026-07-01', null))).toEqual([]);
    // Decimals add up exactly: 0.1 + 0.2 + 0.7 is 1, not more.
    const storage = [p(0, '2026-01-01', null, 0, 0.1), p(0, '2026-01-01', null, 0, 0.2)];
    expect(allocationRefusals(capacity, storage, p(0, '2026-01-01', null, 0, 0.7))).toEqual([]);
    expect(allocationRefusals(capacity, storage, p(0, '2026-01-01', null, 0, 0.701))[0]).toMatchObject({
      rule: 'allocation-exceeds-capacity',
      article: 'Article 11',
    });
  });

  it('refuses a capacity below what was ever allocated at once', () => {
    const held = [p(6, '2026-01-01', '2026-06-30'), p(4, '2026-06-01', null)];
    expect(capacityRefusals({ ...capacity, vcpu: 10 }, held)).toEqual([]);
    expect(capacityRefusals({ ...capacity, vcpu: 9.999 }, held).map((r) => r.rule)).toEqual(['capacity-below-allocations']);
  });
});
