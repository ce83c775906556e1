import { useEffect, useState } from 'react';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';
import { useI18n, type MessageKey } from '../../i18n/i18n';
import { useSession } from '../../session/session';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { PageHeader } from '../../ui/PageHeader';
import { LineChart } from './LineChart';
import { seriesOf, type ChartSeries } from './line-chart';
import { HISTORY_SERIES, loadHistory, RANGES, type HistorySeries, type RangeKey } from './metrics-history';
import './audit.css';

interface Loaded {
  from: number;
  to: number;
  series: Record<HistorySeries, ChartSeries[]>;
}

/** Replication lag and backlog per link, rows received by transfers, requests answered: over 1 h, 24 h or 7 d. */
export function MetricsPage() {
  const { t, number } = useI18n();
  const { api } = useSession();
  const [range, setRange] = useState<RangeKey>('1h');
  const [loaded, setLoaded] = useState<Loaded | undefined>();
  const [error, setError] = useState<FormErrors | undefined>();
  const [busy, setBusy] = useState(true);

  useEffect(() => {
    const abort = new AbortController();
    const hours = RANGES.find((r) => r.key === range)!.hours;
    setBusy(true);
    Promise.all(HISTORY_SERIES.map((s) => loadHistory(api, s, hours, abort.signal)))
      .then((views) => {
        const to = Date.now();
        setLoaded({
          from: to - hours * 3600_000,
          to,
          series: Object.fromEntries(views.map((v, i) => [HISTORY_SERIES[i], seriesOf(v.points)])) as Loaded['series'],
        });
        setError(undefined);
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(formErrorsOf(e));
      })
      .finally(() => !abort.signal.aborted && setBusy(false));
    return () => abort.abort();
  }, [api, range]);

  const peer = (label: string) => (label ? t('audit.chart.link', { code: label }) : '');
  const status = (label: string) => (label ? t('audit.chart.statusClass', { status: label }) : '');
  const charts: { series: HistorySeries; format: (v: number, digits?: number) => string; labelOf?: (l: string) => string }[] = [
    { series: 'link-lag-seconds', format: (v, d = 2) => t('audit.chart.seconds', { value: number(v, d) }), labelOf: peer },
    { series: 'link-backlog', format: (v, d = 2) => number(v, d), labelOf: peer },
    { series: 'transfer-rows', format: (v, d = 2) => number(v, d) },
    { series: 'http-requests', format: (v, d = 2) => number(v, d), labelOf: status },
  ];

  return (
    <>
      <PageHeader title={t('audit.charts.title')} />
      <fieldset className="range-selector">
        <legend>{t('audit.charts.range')}</legend>
        {RANGES.map((r) => (
          <label key={r.key}>
            <input type="radio" name="range" value={r.key} checked={range === r.key} onChange={() => setRange(r.key)} /> {t(`audit.range.${r.key}`)}
          </label>
        ))}
      </fieldset>
      <p className="hint" aria-live="polite">
        {busy ? t('app.loading') : t('audit.charts.perMinute')}
      </p>
      <ErrorBanner errors={error} />
      {loaded && (
        <div className="chart-grid" aria-busy={busy || undefined}>
          {charts.map((c) => (
            <LineChart
              key={c.series}
              title={t(`audit.series.${c.series}` as MessageKey)}
              description={t(`audit.series.${c.series}.desc` as MessageKey, { range: t(`audit.range.${range}`) })}
              series={loaded.series[c.series]}
              from={loaded.from}
              to={loaded.to}
              format={c.format}
              labelOf={c.labelOf}
            />
          ))}
        </div>
      )}
    </>
  );
}
