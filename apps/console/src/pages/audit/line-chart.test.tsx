import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../../i18n/i18n';
import { chartGeometry, downsample, niceMax, pathOf, seriesOf } from './line-chart';
import { LineChart } from './LineChart';

const T0 = Date.parse('2026-12-06T00:00:00Z');
const MIN = 60_000;
const box = { width: 110, height: 60, margin: { top: 0, right: 0, bottom: 0, left: 10 }, from: T0, to: T0 + 10 * MIN };

describe('line chart geometry', () => {
  it('turns points into a path: x by time over the range, y up from the bottom over a round maximum', () => {
    const geometry = chartGeometry([{ label: '', points: [0, 5, 10].map((m, i) => ({ at: T0 + m * MIN, value: [0, 5, 10][i] })) }], box);
    expect(geometry.yMax).toBe(10);
    expect(geometry.lines).toEqual([{ label: '', d: 'M10 60 L60 30 L110 0' }]);
    expect(geometry.yTicks.map((t) => t.value)).toEqual([0, 2.5, 5, 7.5, 10]);
    expect(geometry.xTicks[0]).toEqual({ at: T0, x: 10 });
    expect(geometry.xTicks[4]).toEqual({ at: T0 + 10 * MIN, x: 110 });
  });

  it('breaks the line where samples are missing for longer than the gap', () => {
    const d = pathOf(
      [0, 1, 6, 7].map((m) => ({ at: T0 + m * MIN, value: 1 })),
      (at) => (at - T0) / MIN,
      () => 0,
      3 * MIN,
    );
    expect(d).toBe('M0 0 L1 0 M6 0 L7 0');
  });

  it('draws nothing for empty series and keeps a non-zero scale', () => {
    const geometry = chartGeometry([{ label: 'a', points: [] }], box);
    expect(geometry.lines).toEqual([{ label: 'a', d: '' }]);
    expect(geometry.yMax).toBe(1);
    expect(chartGeometry([], box).lines).toEqual([]);
  });

  it('rounds the maximum up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect([0, 0.3, 3, 7, 12, 240, 999].map(niceMax)).toEqual([1, 0.5, 5, 10, 20, 250, 1000]);
  });

  it('thins long series keeping each bucket’s peak', () => {
    const points = Array.from({ length: 100 }, (_, i) => ({ at: T0 + i * MIN, value: i === 42 ? 99 : 1 }));
    const thinned = downsample(points, T0, T0 + 100 * MIN, 10);
    expect(thinned).toHaveLength(10);
    expect(Math.max(...thinned.map((p) => p.value))).toBe(99);
  });

  it('groups the API’s points by label, oldest first', () => {
    const series = seriesOf([
      { at: '2026-12-06T00:01:00Z', label: '330100', value: 2 },
      { at: '2026-12-06T00:00:00Z', label: '330100', value: 1 },
      { at: '2026-12-06T00:00:00Z', label: null, value: 5 },
    ]);
    expect(series.map((s) => [s.label, s.points.map((p) => p.value)])).toEqual([
      ['', [5]],
      ['330100', [1, 2]],
    ]);
  });
});

describe('LineChart', () => {
  const series = [
    { label: '2xx', points: [0, 1, 2].map((m) => ({ at: T0 + m * MIN, value: 10 * (m + 1) })) },
    { label: '4xx', points: [{ at: T0 + MIN, value: 3 }] },
  ];
  const chart = (s = series) =>
    render(
      <I18nProvider locale="en">
        <LineChart
          title="Requests"
          description="Requests a minute"
          series={s}
          from={T0}
          to={T0 + 3 * MIN}
          format={(v) => `${v}/min`}
          labelOf={(l) => `Status ${l}`}
        />
      </I18nProvider>,
    );

  it('is an image with its title and description, one path a line, and a legend in words', () => {
    const { container } = chart();
    expect(screen.getByRole('img', { name: 'Requests Requests a minute' })).toBeTruthy();
    expect(container.querySelectorAll('svg[role=img] g.series path')).toHaveLength(2);
    expect(screen.getByRole('list', { name: 'Legend' }).textContent).toBe('Status 2xxStatus 4xx');
    // Highest value 30: the axis runs to 50 in quarters.
    expect(screen.getByText('50/min')).toBeTruthy();
    expect(screen.getByText('12.5/min')).toBeTruthy();
  });

  it('shows the same figures as a table on request', () => {
    chart();
    const toggle = screen.getByRole('button', { name: 'Show as a table' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(toggle);
    const table = screen.getByRole('table', { name: 'Requests' });
    const rows = [...table.querySelectorAll('tbody tr')].map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent));
    expect(rows).toEqual([
      ['10/min', '—'],
      ['20/min', '3/min'],
      ['30/min', '—'],
    ]);
    expect(screen.getByRole('button', { name: 'Hide the table' }).getAttribute('aria-expanded')).toBe('true');
  });

  it('says there is no data instead of drawing an empty frame', () => {
    const { container } = chart([{ label: '', points: [] }]);
    expect(screen.getByText('No data in this range')).toBeTruthy();
    expect(container.querySelector('svg[role=img]')).toBeNull();
    expect((screen.getByRole('button', { name: 'Show as a table' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
