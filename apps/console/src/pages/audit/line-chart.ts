/** Geometry of the console's line charts: written by hand, a chart library would weigh more than the whole page. */

export interface ChartPoint {
  /** Milliseconds since the epoch. */
  at: number;
  value: number;
}

export interface ChartSeries {
  /** The line's name (a peer node, a status class); '' for a series of one line. */
  label: string;
  points: ChartPoint[];
}

export interface ChartBox {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
  /** The time range drawn: the chosen range, not the data's (an empty hour still spans the axis). */
  from: number;
  to: number;
}

export interface ChartGeometry {
  lines: { label: string; d: string }[];
  yMax: number;
  yTicks: { value: number; y: number }[];
  xTicks: { at: number; x: number }[];
  plot: { left: number; top: number; right: number; bottom: number };
}

/** Groups the API's points (oldest first, several labels a minute) into one series per label. */
export function seriesOf(points: { at: string; label: string | null; value: number }[]): ChartSeries[] {
  const byLabel = new Map<string, ChartPoint[]>();
  for (const p of points) {
    const at = Date.parse(p.at);
    if (!Number.isFinite(at) || !Number.isFinite(p.value)) continue;
    const label = p.label ?? '';
    if (!byLabel.has(label)) byLabel.set(label, []);
    byLabel.get(label)!.push({ at, value: p.value });
  }
  return [...byLabel.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([label, pts]) => ({ label, points: pts.sort((a, b) => a.at - b.at) }));
}

/**
 * At most `buckets` points over [from, to): the largest value of each bucket (a peak of lag must not
 * be averaged away), placed at the bucket's first sample. Seven days of minutes become a drawable line.
 */
export function downsample(points: ChartPoint[], from: number, to: number, buckets: number): ChartPoint[] {
  if (points.length <= buckets || to <= from) return points;
  const width = (to - from) / buckets;
  const out = new Map<number, ChartPoint>();
  for (const p of points) {
    const bucket = Math.min(buckets - 1, Math.max(0, Math.floor((p.at - from) / width)));
    const seen = out.get(bucket);
    if (!seen) out.set(bucket, { ...p });
    else seen.value = Math.max(seen.value, p.value);
  }
  return [...out.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
}

/** A round upper bound for the y axis (1, 2, 2.5, 5 × 10ⁿ), never 0 so an all-zero line still shows. */
export function niceMax(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * The SVG path of one line. Where samples are missing for longer than `gap` (the node was down,
 * the sampler paused) the line breaks instead of drawing a slope that never happened.
 */
export function pathOf(points: ChartPoint[], x: (at: number) => number, y: (value: number) => number, gap = Infinity): string {
  let d = '';
  let previous: number | undefined;
  for (const p of points) {
    const move = previous === undefined || p.at - previous > gap;
    d += `${d ? ' ' : ''}${move ? 'M' : 'L'}${round(x(p.at))} ${round(y(p.value))}`;
    previous = p.at;
  }
  return d;
}

/** Scales, ticks and paths for the series in the box. */
export function chartGeometry(series: ChartSeries[], box: ChartBox, gap = Infinity): ChartGeometry {
  const plot = { left: box.margin.left, top: box.margin.top, right: box.width - box.margin.right, bottom: box.height - box.margin.bottom };
  const yMax = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.value))));
  const span = Math.max(1, box.to - box.from);
  const x = (at: number) => plot.left + ((at - box.from) / span) * (plot.right - plot.left);
  const y = (value: number) => plot.bottom - (value / yMax) * (plot.bottom - plot.top);
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ value: yMax * f, y: round(y(yMax * f)) }));
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const at = box.from + span * f;
    return { at, x: round(x(at)) };
  });
  const lines = series.map((s) => ({ label: s.label, d: pathOf(s.points, x, y, gap) }));
  return { lines, yMax, yTicks, xTicks, plot };
}
