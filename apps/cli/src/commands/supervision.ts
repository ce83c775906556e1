import { ASSESSMENT_INDICATORS, type AssessmentScorecardView } from '@tdx/contracts';
import { check, type CommandSpec, queryOf } from '../command';
import { type Context, emit, table } from '../context';
import { UsageError } from '../errors';

const figure = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(2));

/** The scorecard of every division of the node's subtree (or of --within) for a year; --csv prints the node's CSV export as it is. */
async function scorecardCommand(ctx: Context, o: Record<string, string | undefined>, csv: boolean): Promise<void> {
  const query = queryOf(o, { year: 'year', within: 'within' });
  if (csv) {
    const response = await ctx.client.download(`/api/v1/supervision/assessment/export.csv${query}`);
    ctx.out.write(await response.text());
    return;
  }
  const s = await ctx.client.json<AssessmentScorecardView>('GET', `/api/v1/supervision/assessment${query}`);
  emit(ctx, s, () => [
    `scorecard ${s.year} of ${s.within}, weights version ${s.weights.version} (${ASSESSMENT_INDICATORS.map((i) => `${i} ${s.weights.weights[i]}`).join(', ')})`,
    ...table(
      ['division', 'name', 'total', 'evidence', ...ASSESSMENT_INDICATORS],
      s.divisions.map((d) => [
        d.division,
        d.name,
        figure(d.total),
        `${d.evidenced}/6`,
        ...ASSESSMENT_INDICATORS.map((i) => figure(d.indicators.find((x) => x.indicator === i)?.value)),
      ]),
    ),
    "'-': no evidence; each figure's evidence: GET /api/v1/supervision/assessment/<division>?year=",
  ]);
}

export const supervisionCommands: CommandSpec[] = [
  {
    name: 'supervision scorecard',
    args: [],
    options: {
      year: {
        type: 'string',
        required: true,
        value: 'YYYY',
        help: 'the year assessed',
        check: (v) => (/^20\d\d$/.test(v) ? undefined : `--year must be a year from 2000 to 2099 (got "${v}")`),
      },
      within: { type: 'string', value: 'CODE', help: "a division of the node's subtree (default: the node's own)", check: check.division('--within') },
      csv: { type: 'boolean', help: 'print the scorecard as CSV (the node’s export)' },
    },
    summary: 'The annual assessment (Article 5): the scorecard of every division',
    run: (ctx, { inv, o }) => {
      if (inv.options.csv === true && inv.json) throw new UsageError('--csv and --json cannot be combined');
      return scorecardCommand(ctx, o, inv.options.csv === true);
    },
  },
];
