import { createHash } from 'node:crypto';
import type { AssessmentScorecardView } from '@tdx/contracts';
import { escapeHtml, REPORT_CSP, scorecardCsv, scorecardHtml } from './assessment-report';
import { DEFAULT_WEIGHTS, scorecardOf } from './scorecard';

const hostile = '<script>alert("x")</script> & \'q\'';

function view(): AssessmentScorecardView {
  const card = scorecardOf(
    { division: { code: '330106', name: hostile, level: 'county' }, year: 2026, catalog: undefined, quality: undefined, access: undefined },
    DEFAULT_WEIGHTS,
  );
  return {
    year: 2026,
    within: '330000',
    computedAt: '2026-12-06T00:00:00.000Z',
    weights: { version: 0, weights: DEFAULT_WEIGHTS, setBy: null, setAt: null },
    divisions: [card],
  };
}

describe('scorecard exports', () => {
  it('escapes every value of the HTML report and loads nothing', () => {
    const page = scorecardHtml(view());
    expect(page).not.toContain('<script>');
    expect(page).toContain(escapeHtml(hostile));
    expect(escapeHtml(hostile)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
    expect(page).not.toMatch(/\s(src|href)=/);
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1];
    expect(REPORT_CSP).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });

  it('writes CSV a spreadsheet reads as text, a division without evidence with empty figures', () => {
    const v = view();
    v.divisions[0].name = '=HYPERLINK("x")';
    const [, line] = scorecardCsv(v).split('\r\n');
    expect(line).toBe(`330106,"'=HYPERLINK(""x"")",county,2026,,0,,,,,,,0`);
  });
});
