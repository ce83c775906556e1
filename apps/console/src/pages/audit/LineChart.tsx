import { useId, useState } from 'react';
import { TIME_ZONE, useI18n } from '../../i18n/i18n';
import { chartGeometry, downsample, type ChartSeries } from './line-chart';

const BOX = { width: 640, height: 240, margin: { top: 12, right: 16, bottom: 28, left: 56 } };
/** Points drawn per line at most (about one per 1.5 px of plot). */
const DRAWN_POINTS = 400;
/** Rows of the table equivalent at most: one per bucket of the range. */
const TABLE_ROWS = 48;
const MINUTE = 60_000;

export interface LineChartProps {
  title: string;
  description: string;
  series: ChartSeries[];
  from: number;
  to: number;
  /** How a value reads (with its unit); `digits` are the fraction digits the axis needs to tell its ticks apart. */
  format: (value: number, digits?: number) => string;
  /** How a line's label reads in the legend ('' is the only line). */
  labelOf?: (label: string) => string;
}

/**
 * A line chart: an image with a title and a description for screen readers, lines told apart by
 * dash pattern as well as colour, and a table of the same figures one click away.
 */
export function LineChart({ title, description, series, from, to, format, labelOf = (l) => l }: LineChartProps) {
  const { t, locale } = useI18n();
  const id = useId();
  const [showTable, setShowTable] = useState(false);
  const long = to - from > 36 * 3600_000;
  const tick = new Intl.DateTimeFormat(locale, {
    timeZone: TIME_ZONE,
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    ...(long ? { month: '2-digit', day: '2-digit' } : {}),
  });
  const drawn = series.map((s) => ({ ...s, points: downsample(s.points, from, to, DRAWN_POINTS) }));
  // Samples come each minute: a silence of over 3 (or over 3 buckets when thinned) breaks the line.
  const gap = Math.max(3 * MINUTE, (3 * (to - from)) / DRAWN_POINTS);
  const geometry = chartGeometry(drawn, { ...BOX, from, to }, gap);
  const empty = series.every((s) => s.points.length === 0);
  // Quarters of the axis: 2 significant digits below its top tell them apart (0.025 → 0.0063 steps).
  const tickDigits = Math.max(0, 2 - Math.floor(Math.log10(geometry.yMax)));
  const names = series.map((s) => labelOf(s.label) || title);

  const tableSeries = series.map((s) => downsample(s.points, from, to, TABLE_ROWS));
  const times = [...new Set(tableSeries.flatMap((s) => s.map((p) => p.at)))].sort((a, b) => a - b);
  const valueAt = (i: number, at: number) => tableSeries[i].find((p) => p.at === at)?.value;

  return (
    <figure className="chart panel" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`}>
        <h2 className="chart-title">{title}</h2>
      </figcaption>
      {empty ? (
        <p className="chart-empty">{t('audit.chart.noData')}</p>
      ) : (
        <>
          <svg viewBox={`0 0 ${BOX.width} ${BOX.height}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
            <title id={`${id}-title`}>{title}</title>
            <desc id={`${id}-desc`}>{description}</desc>
            <g className="grid">
              {geometry.yTicks.map((tk) => (
                <line key={tk.value} x1={geometry.plot.left} x2={geometry.plot.right} y1={tk.y} y2={tk.y} />
              ))}
            </g>
            <g className="axis" aria-hidden="true">
              {geometry.yTicks.map((tk) => (
                <text key={tk.value} x={geometry.plot.left - 6} y={tk.y + 4} textAnchor="end">
                  {format(tk.value, tickDigits)}
                </text>
              ))}
              {geometry.xTicks.map((tk, i) => (
                <text key={tk.at} x={tk.x} y={BOX.height - 8} textAnchor={i === 0 ? 'start' : i === geometry.xTicks.length - 1 ? 'end' : 'middle'}>
                  {tick.format(new Date(tk.at))}
                </text>
              ))}
              <line x1={geometry.plot.left} x2={geometry.plot.right} y1={geometry.plot.bottom} y2={geometry.plot.bottom} />
            </g>
            {geometry.lines.map((line, i) => (
              <g key={line.label} className={`series series-${i % 4}`} data-label={line.label}>
                <path d={line.d} />
              </g>
            ))}
          </svg>
          {series.length > 1 && (
            <ul className="chart-legend" aria-label={t('audit.chart.legend')}>
              {series.map((s, i) => (
                <li key={s.label} className={`series series-${i % 4}`}>
                  <svg width="28" height="10" aria-hidden="true">
                    <path d="M0 5 L28 5" />
                  </svg>
                  {names[i]}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <button
        type="button"
        className="link-button"
        aria-expanded={showTable}
        aria-controls={showTable ? `${id}-table` : undefined}
        onClick={() => setShowTable(!showTable)}
        disabled={empty}
      >
        {showTable ? t('audit.chart.hideTable') : t('audit.chart.showTable')}
      </button>
      {showTable && !empty && (
        <div className="table-wrap" id={`${id}-table`}>
          <table>
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">{t('audit.chart.time')}</th>
                {names.map((name, i) => (
                  <th key={i} scope="col" className="numeric">
                    {name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {times.map((at) => (
                <tr key={at}>
                  <th scope="row">{tick.format(new Date(at))}</th>
                  {series.map((_, i) => {
                    const value = valueAt(i, at);
                    return (
                      <td key={i} className="numeric">
                        {value === undefined ? '—' : format(value)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </figure>
  );
}
