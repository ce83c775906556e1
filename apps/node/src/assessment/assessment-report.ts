import { createHash } from 'node:crypto';
import { ASSESSMENT_INDICATORS, type AssessmentIndicator, type AssessmentScorecardView } from '@tdx/contracts';
import { csvLine } from '../open-data/open-csv';

/** The indicators' labels in the printed report: Chinese, then English. */
export const INDICATOR_LABELS: Record<AssessmentIndicator, string> = {
  catalogCompleteness: '目录完整性 Catalog completeness',
  quality: '数据质量 Data quality',
  timeliness: '数据时效 Timeliness',
  sharingResponse: '共享响应 Sharing response',
  openness: '开放程度 Openness',
  securityEvents: '安全事件 Security events',
};

const LEVELS = { province: '省 province', city: '市 city', county: '县 county' } as const;

/** One line per division: its figures (empty where there is no evidence), the weights' version, the year. */
export function scorecardCsv(view: AssessmentScorecardView): string {
  const header = csvLine(['division', 'name', 'level', 'year', 'total', 'evidenced', ...ASSESSMENT_INDICATORS, 'weightsVersion']);
  return (
    header +
    view.divisions
      .map((d) =>
        csvLine([
          d.division,
          d.name,
          d.level,
          view.year,
          d.total,
          d.evidenced,
          ...ASSESSMENT_INDICATORS.map((i) => d.indicators.find((x) => x.indicator === i)?.value),
          view.weights.version,
        ]),
      )
      .join('')
  );
}

/** Text for HTML: every value of a report passes through here. */
export function escapeHtml(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const STYLE =
  'body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:4px 6px;font-size:12px}' +
  'td.n{text-align:right}td.none{color:#999}@media print{body{margin:0}}';

/**
 * The content security policy of the report: the API allows nothing to load (default-src 'none');
 * this one page may apply its own one style sheet, named by its hash, and nothing else.
 */
export const REPORT_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; frame-ancestors 'none'`;

/** A printable, self-contained HTML page of the scorecard (no script, no external resource). */
export function scorecardHtml(view: AssessmentScorecardView): string {
  const number = (v: number | null) => (v === null ? '<td class="none">无依据 no evidence</td>' : `<td class="n">${escapeHtml(v.toFixed(2))}</td>`);
  const rows = view.divisions
    .map(
      (d) =>
        `<tr><td>${escapeHtml(d.division)}</td><td>${escapeHtml(d.name)}</td><td>${escapeHtml(LEVELS[d.level] ?? d.level)}</td>${number(d.total)}` +
        `<td class="n">${escapeHtml(d.evidenced)}/6</td>${ASSESSMENT_INDICATORS.map((i) => number(d.indicators.find((x) => x.indicator === i)?.value ?? null)).join('')}</tr>`,
    )
    .join('\n');
  const weights = ASSESSMENT_INDICATORS.map((i) => `<li>${escapeHtml(INDICATOR_LABELS[i])}: ${escapeHtml(view.weights.weights[i])}</li>`).join('');
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(`公共数据年度评估 Annual public data assessment ${view.year}`)}</title>
<style>${STYLE}</style></head><body>
<h1>${escapeHtml(`公共数据年度评估 Annual public data assessment ${view.year}`)}</h1>
<p>${escapeHtml(`范围 Within: ${view.within} · 计算时间 Computed at: ${view.computedAt} · 权重版本 Weights version: ${view.weights.version}`)}</p>
<ul>${weights}</ul>
<table><thead><tr><th>区划 Division</th><th>名称 Name</th><th>层级 Level</th><th>总分 Total</th><th>有依据 Evidenced</th>${ASSESSMENT_INDICATORS.map((i) => `<th>${escapeHtml(INDICATOR_LABELS[i])}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>
<p>${escapeHtml('每项指标的依据见 API：GET /api/v1/supervision/assessment/<division>?year= · Each figure’s evidence: GET /api/v1/supervision/assessment/<division>?year=')}</p>
</body></html>
`;
}
