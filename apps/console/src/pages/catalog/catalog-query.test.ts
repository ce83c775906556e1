import { describe, expect, it } from 'vitest';
import { DEFAULT_FILTERS, catalogQueryOf, filtersFromSearch, searchOfFilters, searchQueryOf } from './catalog-query';
import { entryFieldOf } from './entry-form-model';

describe('catalog filters to queries', () => {
  it('leave empty filters out and keep scope and status', () => {
    expect(catalogQueryOf(DEFAULT_FILTERS)).toEqual({
      limit: 50,
      cursor: undefined,
      q: undefined,
      type: undefined,
      scope: 'subtree',
      status: 'active',
      origin: undefined,
    });
  });

  it('send what was chosen, trimmed; an origin that is no division code is not sent', () => {
    const filters = { ...DEFAULT_FILTERS, q: ' 许可 ', type: 'data' as const, scope: 'local' as const, status: 'all' as const, origin: '330106' };
    expect(catalogQueryOf(filters, 'c2')).toEqual({ limit: 50, cursor: 'c2', q: '许可', type: 'data', scope: 'local', status: 'all', origin: '330106' });
    expect(catalogQueryOf({ ...filters, origin: '33' }).origin).toBeUndefined();
  });

  it('ask the province search without scope, and without status for "all"', () => {
    const query = searchQueryOf({ ...DEFAULT_FILTERS, source: 'province', status: 'all', q: 'x' });
    expect(query).toEqual({ limit: 50, cursor: undefined, q: 'x', type: undefined, status: undefined, origin: undefined });
    expect('scope' in query).toBe(false);
  });

  it('round-trip through the address, unknown values falling back to the defaults', () => {
    const filters = { ...DEFAULT_FILTERS, source: 'province' as const, q: 'a b', type: 'compute' as const };
    expect(filtersFromSearch(new URLSearchParams(searchOfFilters(filters)))).toEqual(filters);
    expect(searchOfFilters(DEFAULT_FILTERS)).toBe('');
    expect(filtersFromSearch(new URLSearchParams('type=bogus&scope=everywhere'))).toEqual(DEFAULT_FILTERS);
  });
});

describe('entryFieldOf', () => {
  it("maps a data item's field to its row's input, and nested paths to their field", () => {
    expect(entryFieldOf('dataItems.2.name')).toBe('dataItems.2.name');
    expect(entryFieldOf('dataItems.10.type')).toBe('dataItems.10.type');
    expect(entryFieldOf('dataItems')).toBe('dataItems');
    expect(entryFieldOf('relatedResources.0')).toBe('relatedResources');
  });
});
