import { openRefusals } from './open-rules';
import { csvCell, csvLine } from './open-csv';

describe('openRefusals', () => {
  const entry = { type: 'data', status: 'active', grade: 'L1', openType: 'unconditional' } as const;
  const rules = (e: Parameters<typeof openRefusals>[0], use: Parameters<typeof openRefusals>[1]) => openRefusals(e, use).map((r) => r.rule);

  it('opens an active unconditional L1 data entry to every use but an application', () => {
    expect(rules(entry, 'detail')).toEqual([]);
    expect(rules(entry, 'rows')).toEqual([]);
    expect(rules(entry, 'apply')).toEqual(['open-no-application-needed']);
  });

  it('takes applications for restricted L2/L3 entries', () => {
    expect(rules({ ...entry, grade: 'L3', openType: 'restricted' }, 'apply')).toEqual([]);
    expect(rules({ ...entry, grade: 'L2', openType: 'restricted' }, 'rows')).toEqual([]);
  });

  it('refuses prohibited and L4 entries to every use, metadata included, each rule with its article', () => {
    for (const use of ['detail', 'rows', 'apply'] as const) {
      expect(rules({ ...entry, openType: 'prohibited' }, use)).toContain('open-prohibited');
      expect(rules({ ...entry, grade: 'L4', openType: 'prohibited' }, use)).toEqual(expect.arrayContaining(['open-l4-never', 'open-prohibited']));
      // A row that broke the registration rules (L4 or L2 opened unconditionally) is refused all the same.
      expect(rules({ ...entry, grade: 'L4' }, use)).toContain('open-l4-never');
      expect(rules({ ...entry, grade: 'L2' }, use)).toContain('open-grade-mismatch');
    }
    expect(openRefusals({ ...entry, openType: 'prohibited' }, 'rows').every((r) => r.article.length > 0)).toBe(true);
  });

  it('refuses retired entries, and rows of entries that are not data', () => {
    expect(rules({ ...entry, status: 'retired' }, 'rows')).toEqual(['open-entry-retired']);
    expect(rules({ ...entry, type: 'application' }, 'detail')).toEqual([]);
    expect(rules({ ...entry, type: 'application' }, 'rows')).toEqual(['open-not-data']);
  });
});

describe('open data CSV', () => {
  it('quotes separators, quotes and line breaks (RFC 4180)', () => {
    expect(csvLine(['a,b', 'say "hi"', 'two\nlines', null, 12, true])).toBe('"a,b","say ""hi""","two\nlines",,12,true\r\n');
  });

  it('defuses cells a spreadsheet would run as a formula, and leaves plain numbers alone', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+86 138')).toBe("'+86 138");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-12.50')).toBe('-12.50');
    expect(csvCell(-3)).toBe('-3');
  });
});
