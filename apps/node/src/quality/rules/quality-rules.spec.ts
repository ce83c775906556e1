import { qualityRuleSetProblems } from '@tdx/contracts';
import { lateness } from '../timeliness';
import { QUALITY_RULES_V1 } from './quality-rules-v1';

describe('the quality rule set', () => {
  it('version 1 parses', () => {
    expect(qualityRuleSetProblems(QUALITY_RULES_V1)).toEqual([]);
  });

  it('names the field and the rule of each problem', () => {
    const rules = QUALITY_RULES_V1.rules.map((r) => ({ ...r }));
    (rules[1] as { weight: number }).weight = 101;
    (rules[2] as { check: string }).check = 'value.telepathy';
    rules[3] = { ...rules[3], appliesTo: { itemNames: ['x'] } };
    rules[4] = { ...rules[4], id: rules[0].id };
    const problems = qualityRuleSetProblems({ dimensionWeights: { ...QUALITY_RULES_V1.dimensionWeights, validity: -1 }, rules, extra: 1 });
    expect(problems.map((p) => [p.field, p.rule])).toEqual([
      ['extra', undefined],
      ['dimensionWeights', undefined],
      ['rules.1.weight', rules[1].id],
      ['rules.2.check', rules[2].id],
      ['rules.3.appliesTo', rules[3].id],
      ['rules.4.id', rules[0].id],
    ]);
    expect(problems[2].message).toContain(`rule ${rules[1].id}`);
  });

  it('refuses a dimension that is not its check’s, and a set without rules or weights', () => {
    const rules = QUALITY_RULES_V1.rules.map((r) => (r.id === 'item.date-valid' ? { ...r, dimension: 'completeness' as const } : r));
    expect(qualityRuleSetProblems({ ...QUALITY_RULES_V1, rules })[0]).toMatchObject({ field: 'rules.14.dimension', rule: 'item.date-valid' });
    expect(qualityRuleSetProblems({ ...QUALITY_RULES_V1, rules: [] })[0].field).toBe('rules');
    const zero = { conformance: 0, completeness: 0, validity: 0, uniqueness: 0, timeliness: 0 };
    expect(qualityRuleSetProblems({ ...QUALITY_RULES_V1, dimensionWeights: zero })[0].field).toBe('dimensionWeights');
  });
});

describe('lateness against the update cycle', () => {
  const now = new Date('2026-06-30T00:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
  it('is 0 within the period, grows linearly to 1 at twice the period, and is not assessed for irregular', () => {
    expect(lateness('weekly', daysAgo(7), now)).toBe(0);
    expect(lateness('weekly', daysAgo(10.5), now)).toBeCloseTo(0.5, 10);
    expect(lateness('weekly', daysAgo(30), now)).toBe(1);
    expect(lateness('monthly', daysAgo(31 + 31 / 4), now)).toBeCloseTo(0.25, 10);
    expect(lateness('irregular', daysAgo(999), now)).toBeNull();
  });
});
