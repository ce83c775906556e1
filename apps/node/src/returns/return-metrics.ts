import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { ReturnJobRepository } from './return-job.repository';

/** The returns' metrics, on the node's own registry (the metrics module's): failing jobs and ended requests. */
@Injectable()
export class ReturnMetrics {
  readonly jobFailures: Counter<'holder' | 'kind'>;
  readonly requestsEnded: Counter<'state'>;
  readonly rows: Counter<'holder'>;

  constructor(metrics: MetricsRegistry, dataSource: DataSource, jobs: ReturnJobRepository) {
    this.jobFailures = new Counter({
      name: 'tdx_return_job_failures_total',
      help: 'Failed attempts of return jobs at this receiver, by holder and kind (transient: retried after a back-off; permanent: the holder refused for good and the grant ended)',
      labelNames: ['holder', 'kind'],
      registers: [metrics.registry],
    });
    this.requestsEnded = new Counter({
      name: 'tdx_return_requests_ended_total',
      help: 'Return requests that ended at this node (withdrawn, revoked, ended: entry retired or no longer shared), by state',
      labelNames: ['state'],
      registers: [metrics.registry],
    });
    this.rows = new Counter({
      name: 'tdx_return_rows_total',
      help: 'Rows (live and deletions) received and committed here by return transfers, by holder node',
      labelNames: ['holder'],
      registers: [metrics.registry],
    });
    const backingOff = new Gauge({
      name: 'tdx_return_jobs_backing_off',
      help: 'Return jobs in flight whose last attempt failed and that wait for their next (see lastError and nextAttemptAt of each job)',
      registers: [metrics.registry],
    });
    metrics.beforeScrape(async () => backingOff.set(await jobs.backingOff(dataSource.manager)));
  }
}
