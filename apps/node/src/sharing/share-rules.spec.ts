import type { EntryState } from '@tdx/contracts';
import { grantNotInForce, queryOutsideGrant, regionWithin, requestRefusals } from './share-rules';

const NOW = new Date('2026-12-05T00:00:00Z');
const entry = (o: Partial<EntryState> = {}): EntryState =>
  ({
    id: 'e1',
    origin: '330212',
    type: 'data',
    status: 'active',
    grade: 'L2',
    shareType: 'conditional',
    legalBasis: null,
    dataItems: [
      { name: 'uscc', type: 'string', sensitive: false },
      { name: 'phone', type: 'string', sensitive: true },
    ],
    ...o,
  }) as EntryState;
const ask = { items: ['uscc'], regions: ['330212'], expiresAt: '2027-01-01T00:00:00Z' };
const rules = (e: EntryState, a = ask) => requestRefusals(e, a, NOW).map((r) => r.rule);

describe('share rules (Article 10)', () => {
  it('a request within the entry stands', () => expect(rules(entry())).toEqual([]));

  it('refuses a retired entry, one not shared (citing its legal basis), and a non-data resource', () => {
    expect(rules(entry({ status: 'retired' }))).toEqual(['entry-retired']);
    const none = requestRefusals(entry({ shareType: 'none', legalBasis: 'Law Y, Article 3' }), ask, NOW);
    expect(none[0]).toMatchObject({ rule: 'not-shareable', article: 'Article 10' });
    expect(none[0].message).toContain('Law Y, Article 3');
    expect(rules(entry({ type: 'application' }))).toEqual(['not-a-data-resource']);
  });

  it("refuses items outside the entry, an L4 entry's sensitive items, regions outside the province, and expiries in the past or too far", () => {
    expect(rules(entry(), { ...ask, items: ['nope'] })).toEqual(['item-not-in-entry']);
    expect(rules(entry({ grade: 'L4' }), { ...ask, items: ['uscc', 'phone'] })).toEqual(['l4-never-shared']);
    expect(rules(entry({ grade: 'L4' }), { ...ask, items: ['uscc'] })).toEqual([]);
    expect(rules(entry(), { ...ask, regions: ['310000'] })).toEqual(['region-not-in-province']);
    expect(rules(entry(), { ...ask, expiresAt: '2026-12-04T00:00:00Z' })).toEqual(['expiry-in-the-past']);
    expect(rules(entry(), { ...ask, expiresAt: '2032-01-01T00:00:00Z' })).toEqual(['expiry-too-far']);
  });

  it('checks the grant on every call: its holder, its state, its expiry by the clock', () => {
    const grant = { id: 'g', consumer: '330106', state: 'granted' as const, items: ['uscc', 'phone'], regions: ['330212'], expiresAt: '2027-01-01T00:00:00Z' };
    expect(grantNotInForce(grant, '330106', NOW)).toBeUndefined();
    expect(grantNotInForce(undefined, '330106', NOW)).toMatch(/no grant/);
    expect(grantNotInForce(grant, '330200', NOW)).toMatch(/given to 330106, not to 330200/);
    expect(grantNotInForce({ ...grant, state: 'revoked' }, '330106', NOW)).toMatch(/revoked/);
    expect(grantNotInForce(grant, '330106', new Date('2027-01-01T00:00:00Z'))).toMatch(/expired/);
  });

  it('refuses a query beyond the grant: fields, regions, filters on sensitive items', () => {
    const grant = { id: 'g', consumer: '330106', state: 'granted' as const, items: ['uscc', 'phone'], regions: ['330200'], expiresAt: '2027-01-01T00:00:00Z' };
    const q = (o: object) => queryOutsideGrant(grant, entry(), { fields: ['uscc'], regions: null, filters: null, ...o }).map((r) => r.rule);
    expect(q({})).toEqual([]);
    expect(q({ regions: ['330212'] })).toEqual([]);
    expect(regionWithin('330106', ['330200'])).toBe(false);
    expect(q({ regions: ['330106'] })).toEqual(['region-outside-grant']);
    expect(q({ fields: ['uscc', 'capital'] })).toEqual(['field-outside-grant']);
    expect(q({ fields: ['uscc', 'phone'], filters: { phone: '1' } })).toEqual(['filter-on-sensitive-item']);
    expect(q({ filters: { capital: 1 } })).toEqual(['filter-outside-fields']);
  });
});
