import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { HistoryPointView, HistorySeries } from '@tdx/contracts';

/** One sample: `label` null for a series without labels (stored as ''). */
export interface Sample {
  series: HistorySeries;
  label: string | null;
  value: number;
}

/** How long samples are kept: the longest history a client may ask for (HISTORY_MAX_HOURS). */
export const SAMPLE_RETENTION_HOURS = 168;

@Injectable()
export class MetricSampleRepository {
  /** A measured value (a gauge) of the minute `at`: written once by the sampling replica, a repeat overwrites it. */
  async put(manager: EntityManager, at: Date, samples: Sample[]): Promise<void> {
    if (samples.length === 0) return;
    await manager.query(
      `INSERT INTO metric_sample (series, at, label, value)
       SELECT s, $1, l, v FROM unnest($2::text[], $3::text[], $4::float8[]) AS t(s, l, v)
       ON CONFLICT (series, at, label) DO UPDATE SET value = excluded.value`,
      [at, ...columns(samples)],
    );
  }

  /** A count of the minute `at`: each replica adds what it counted, so the row holds the node's total. */
  async add(manager: EntityManager, at: Date, samples: Sample[]): Promise<void> {
    if (samples.length === 0) return;
    await manager.query(
      `INSERT INTO metric_sample (series, at, label, value)
       SELECT s, $1, l, v FROM unnest($2::text[], $3::text[], $4::float8[]) AS t(s, l, v)
       ON CONFLICT (series, at, label) DO UPDATE SET value = metric_sample.value + excluded.value`,
      [at, ...columns(samples)],
    );
  }

  /** The series over its last `hours`, oldest first, by label within one minute. */
  async history(manager: EntityManager, series: HistorySeries, hours: number): Promise<HistoryPointView[]> {
    const rows: { at: Date; label: string; value: number }[] = await manager.query(
      `SELECT at, label, value FROM metric_sample
       WHERE series = $1 AND at >= now() - make_interval(hours => $2::int)
       ORDER BY at, label`,
      [series, hours],
    );
    return rows.map((r) => ({ at: new Date(r.at).toISOString(), label: r.label === '' ? null : r.label, value: Number(r.value) }));
  }

  /** Removes samples older than the retention; returns how many. */
  async prune(manager: EntityManager): Promise<number> {
    const [, removed] = (await manager.query(`DELETE FROM metric_sample WHERE at < now() - make_interval(hours => $1::int)`, [SAMPLE_RETENTION_HOURS])) as [
      unknown,
      number,
    ];
    return removed ?? 0;
  }
}

function columns(samples: Sample[]): [string[], string[], number[]] {
  return [samples.map((s) => s.series), samples.map((s) => s.label ?? ''), samples.map((s) => s.value)];
}
