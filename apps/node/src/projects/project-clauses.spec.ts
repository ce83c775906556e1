import type { ProjectDeclaration } from '@tdx/contracts';
import { CLAUSE_REASON_MAX } from '@tdx/contracts';
import { ItemMatcher, PlannedItems } from './item-matcher';
import { duplicateItems, HeldEntry, MAX_NOT_SHARED_RATIO, requiredProtectionLevel, ReviewFacts, reviewProject } from './project-clauses';

const app: HeldEntry = {
  id: 'a1',
  code: '330100-A-000001',
  name: 'app',
  type: 'application',
  status: 'active',
  origin: '330100',
  providerId: 'p',
  dataItems: [],
};
const data: HeldEntry = {
  id: 'd1',
  code: '330106-D-000001',
  name: '人口',
  type: 'data',
  status: 'active',
  origin: '330106',
  providerId: 'q',
  dataItems: [{ name: '公民身份号码' }],
};

function declaration(over: Partial<ProjectDeclaration> = {}): ProjectDeclaration {
  return {
    name: 'p',
    institutionId: 'i',
    funds: { amountYuan: 1, source: 's' },
    systems: [],
    networks: [],
    dataItems: [{ name: '巡查点位', type: 'string', sensitive: false }],
    dataGrade: 'L1',
    resources: [{ ref: app.code, type: 'application', use: 'use' }],
    security: {
      cryptoAssessmentRef: '密评2026-01',
      cryptoAssessmentResult: 'pass',
      protectionLevel: 2,
      filingNumber: '33010043002-26001',
      managementPlanRef: '安全方案2026-1',
    },
    ...over,
  };
}

function facts(over: Partial<ReviewFacts> = {}): ReviewFacts {
  return {
    stage: 'approval',
    declaration: declaration(),
    entriesByRef: new Map([[app.code, [app]]]),
    duplicates: [],
    dataEntriesCompared: 1,
    sharing: { dataEntries: 4, notShared: 2, overdueRequests: 0 },
    ...over,
  };
}

const outcomes = (f: ReviewFacts) => reviewProject(f).clauses.map((c) => `${c.clause}:${c.outcome}`);

describe('project clauses', () => {
  it('approves only when every clause passes', () => {
    expect(reviewProject(facts())).toMatchObject({ decision: 'approve' });
    expect(reviewProject(facts({ sharing: { dataEntries: 4, notShared: 2, overdueRequests: 1 } }))).toMatchObject({ decision: 'refuse' });
  });

  it('(d) fails on overdue share requests and on more than half of the data entries closed to sharing, not at half', () => {
    expect(outcomes(facts({ sharing: { dataEntries: 10, notShared: 6, overdueRequests: 0 } }))).toContain('d:fail');
    expect(outcomes(facts({ sharing: { dataEntries: 10, notShared: 10 * MAX_NOT_SHARED_RATIO, overdueRequests: 0 } }))).toContain('d:pass');
    const overdue = reviewProject(facts({ sharing: { dataEntries: 0, notShared: 0, overdueRequests: 2 } })).clauses[3];
    expect(overdue).toMatchObject({ outcome: 'fail' });
    expect(overdue.reason).toContain('2 share request(s) undecided after their deadline');
  });

  it('(d) does not count the entries the project itself produces as collected before', () => {
    const d = declaration({ dataItems: [{ name: '身份证号', type: 'string', sensitive: true }] });
    const matcher = new ItemMatcher([['身份证号', '公民身份号码']]);
    const byRef = new Map([[data.id, [data]]]);
    const planned = new PlannedItems(
      matcher,
      d.dataItems.map((i) => i.name),
    );
    expect(duplicateItems({ declaration: d, dataEntries: [data], planned, entriesByRef: byRef })).toHaveLength(1);
    const producing = { ...d, resources: [...d.resources, { ref: data.id, type: 'data' as const, use: 'produce' as const }] };
    expect(duplicateItems({ declaration: producing, dataEntries: [data], planned, entriesByRef: byRef })).toEqual([]);
  });

  it('(e) needs level 3 for sensitive items or L3/L4 data, else 2', () => {
    expect(requiredProtectionLevel(declaration())).toBe(2);
    expect(requiredProtectionLevel(declaration({ dataGrade: 'L3' }))).toBe(3);
    expect(requiredProtectionLevel(declaration({ dataItems: [{ name: 'x', type: 'string', sensitive: true }] }))).toBe(3);
    expect(outcomes(facts({ declaration: declaration({ dataGrade: 'L4' }) }))).toContain('e:fail');
    const failed = declaration({ security: { ...declaration().security, cryptoAssessmentResult: 'fail' } });
    expect(reviewProject(facts({ declaration: failed })).clauses[4].reason).toContain('the cryptography assessment failed');
  });

  it('keeps every reason within the bound the state carries', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ ref: `missing-${i}-${'x'.repeat(50)}`, type: 'component' as const, use: 'use' as const }));
    const c = reviewProject(facts({ declaration: declaration({ resources: many }) })).clauses[2];
    expect(c.outcome).toBe('fail');
    expect(c.reason.length).toBeLessThanOrEqual(CLAUSE_REASON_MAX);
  });
});
