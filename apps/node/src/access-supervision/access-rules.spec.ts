import { ACCESS_LIST_MAX } from '@tdx/contracts';
import { boundedAlerts, median, spikes, volumesOf } from './access-rules';
import type { DailyRows, ExchangeGroup } from './access-records.repository';

const NOW = new Date('2026-12-06T15:00:00.000Z');
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

/** `rows` on each of the `days` days before 2026-12-06 (day 1: 2026-12-05). */
function history(institution: string, days: number[], rows: number): DailyRows[] {
  return days.map((d) => ({ institution, day: new Date(Date.parse('2026-12-06T00:00:00Z') - d * 86_400_000).toISOString().slice(0, 10), rows }));
}

describe('access supervision rules', () => {
  it('takes the median of an odd and an even count, and none of nothing', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 10])).toBe(3.5);
    expect(median([])).toBeNull();
  });

  it('flags an institution above max(3 × its median day over the 28 days before, 1000), quiet days counting 0', () => {
    // A: 500 rows on 20 of the 28 days: median 500, threshold 1500. 1501 today is a spike, 1500 is not.
    const busy = history(
      A,
      Array.from({ length: 20 }, (_, i) => i + 1),
      500,
    );
    expect(spikes([...busy, { institution: A, day: '2026-12-06', rows: 1501 }], NOW)).toEqual([{ institution: A, today: 1501, median: 500, threshold: 1500 }]);
    expect(spikes([...busy, { institution: A, day: '2026-12-06', rows: 1500 }], NOW)).toEqual([]);
    // B: 500 rows on 10 of the 28 days: median 0 (18 quiet days), the floor of 1000 applies.
    const quiet = history(
      B,
      Array.from({ length: 10 }, (_, i) => i + 1),
      500,
    );
    expect(spikes([...quiet, { institution: B, day: '2026-12-06', rows: 1000 }], NOW)).toEqual([]);
    expect(spikes([...quiet, { institution: B, day: '2026-12-06', rows: 1001 }], NOW)).toEqual([{ institution: B, today: 1001, median: 0, threshold: 1000 }]);
    // Days before the baseline (29 days ago) do not count.
    const old = history(
      A,
      Array.from({ length: 20 }, (_, i) => i + 29),
      5000,
    );
    expect(spikes([...old, { institution: A, day: '2026-12-06', rows: 1001 }], NOW)).toHaveLength(1);
  });

  it('sums every exchange into the totals and keeps the biggest institutions and nodes, bounded', () => {
    const groups: ExchangeGroup[] = Array.from({ length: ACCESS_LIST_MAX + 5 }, (_, i) => ({
      kind: i % 2 ? 'query' : 'rows',
      counterpart: String(330101 + i),
      institution: `${String(i).padStart(8, '0')}-1111-4111-8111-111111111111`,
      exchanges: 1,
      rows: i * 10,
    }));
    groups.push({ kind: 'return', counterpart: 'junk', institution: null, exchanges: 2, rows: 0 });
    const v = volumesOf(groups);
    expect(v.rows).toBe(groups.reduce((s, g) => s + g.rows, 0));
    expect(v.returns).toBe(2);
    expect(v.shareQueries).toBe(12);
    expect(v.institutions).toHaveLength(ACCESS_LIST_MAX);
    expect(v.institutions[0].rows).toBe((ACCESS_LIST_MAX + 4) * 10);
    expect(v.counterparts.map((c) => c.node)).not.toContain('junk');
  });

  it('keeps the most pressing alerts first when there are too many', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ kind: 'grant-expiring' as const, subject: `share:${i}`, message: 'm' }));
    const kept = boundedAlerts([...many, { kind: 'security-events', subject: 'node:330106', message: 'm' }]);
    expect(kept).toHaveLength(50);
    expect(kept[0].kind).toBe('security-events');
  });
});
