import { refusalsFor, RuleContext } from './catalog-rules';

const ok = { grade: 'L1', openType: 'unconditional', shareType: 'unconditional', shareCondition: null, legalBasis: null, regionScope: '330106' } as const;
const ctx: RuleContext = { nodeCode: '330106', providerIsLocal: true, stateSecret: false };
const rules = (e: Parameters<typeof refusalsFor>[0], c: RuleContext = ctx) => refusalsFor(e, c).map((r) => r.rule);

describe('catalog rules', () => {
  it('accepts a well-formed entry', () => {
    expect(rules(ok)).toEqual([]);
  });
  it('refuses state secrets (Article 2)', () => {
    expect(refusalsFor(ok, { ...ctx, stateSecret: true })[0]).toMatchObject({ rule: 'state-secret', article: 'Article 2' });
  });
  it('never opens L4 and opens L2/L3 only restricted', () => {
    expect(rules({ ...ok, grade: 'L4', openType: 'restricted' })).toEqual(['l4-never-opened']);
    expect(rules({ ...ok, grade: 'L4', openType: 'prohibited' })).toEqual([]);
    expect(rules({ ...ok, grade: 'L2' })).toEqual(['l2-l3-restricted-opening']);
    expect(rules({ ...ok, grade: 'L3', openType: 'restricted' })).toEqual([]);
  });
  it('demands a condition or a legal basis by share type', () => {
    expect(rules({ ...ok, shareType: 'conditional' })).toEqual(['share-condition-required']);
    expect(rules({ ...ok, shareType: 'conditional', shareCondition: '  ' })).toEqual(['share-condition-required']);
    expect(rules({ ...ok, shareType: 'none' })).toEqual(['legal-basis-required']);
    expect(rules({ ...ok, shareType: 'none', legalBasis: 'Law X art. 5' })).toEqual([]);
  });
  it('keeps provider and region inside the node', () => {
    expect(rules(ok, { ...ctx, providerIsLocal: false })).toEqual(['provider-not-local']);
    expect(rules({ ...ok, regionScope: '330108' })).toEqual(['region-outside-jurisdiction']);
    expect(rules({ ...ok, regionScope: '330106' }, { ...ctx, nodeCode: '330100' })).toEqual([]);
  });
});
