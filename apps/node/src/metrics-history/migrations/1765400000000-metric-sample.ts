import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `metric_sample`: the history behind GET /api/v1/metrics/history, one row per series, label and
 * minute (label '' for a series without one), kept 7 days. The key serves the one query (a series
 * over its last hours); the index on `at` serves the pruning.
 */
export class MetricSample1765400000000 implements MigrationInterface {
  name = 'MetricSample1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE metric_sample (
      series varchar(40) NOT NULL,
      at timestamptz NOT NULL,
      label varchar(64) NOT NULL DEFAULT '',
      value double precision NOT NULL,
      PRIMARY KEY (series, at, label)
    )`);
    await q.query(`CREATE INDEX metric_sample_at ON metric_sample (at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE metric_sample`);
  }
}
