import { maskModeFor, maskPlan } from './masking';

// The masking rules themselves run in SQL: apps/node/test/masking-sql.spec.ts.
describe('what masking is asked to do', () => {
  it('maps grades to modes', () => {
    expect(['L1', 'L2', 'L3', 'L4'].map((g) => maskModeFor(g as 'L1'))).toEqual(['partial', 'partial', 'shape', 'withheld']);
  });

  it('names the sensitive items, in the entry order', () => {
    const items = [
      { name: 'uscc', sensitive: false },
      { name: 'legal_person_id', sensitive: true },
      { name: 'phone', sensitive: true },
    ];
    expect(maskPlan('L3', items)).toEqual({ mode: 'shape', sensitive: ['legal_person_id', 'phone'] });
    expect(maskPlan('L1', [])).toEqual({ mode: 'partial', sensitive: [] });
  });
});
