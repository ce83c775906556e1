import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { Counter, Gauge } from 'prom-client';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { MetricsRegistry } from '../metrics/metrics.registry';
import type { Principal } from '../access/principal';
import { ConcurrencyLimiter, Semaphore } from './concurrency';

export type WorkKind = 'uploads' | 'heavyReads';

/** Work of this kind takes seconds to minutes: asking again sooner only adds refusals. */
const RETRY_AFTER_SECONDS = 10;

const DESCRIBED: Record<WorkKind, { what: string; perNode: string; perInstitution: string }> = {
  uploads: { what: 'dataset uploads', perNode: 'UPLOAD_CONCURRENCY', perInstitution: 'UPLOAD_CONCURRENCY_PER_INSTITUTION' },
  heavyReads: {
    what: 'audit verifications, audit exports and dataset summaries',
    perNode: 'HEAVY_READ_CONCURRENCY',
    perInstitution: 'HEAVY_READ_CONCURRENCY_PER_INSTITUTION',
  },
};

/** 429 (the asker's own share is used up) or 503 (the node's), with Retry-After set by the caller. */
export class BusyException extends HttpException {
  constructor(status: HttpStatus.TOO_MANY_REQUESTS | HttpStatus.SERVICE_UNAVAILABLE, message: string) {
    super(
      {
        statusCode: status,
        error: status === HttpStatus.TOO_MANY_REQUESTS ? 'Too Many Requests' : 'Service Unavailable',
        message,
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      },
      status,
    );
  }
}

/**
 * This node's limits on long-running work: uploads (a slow client keeps one open for as long as
 * it likes) and reads that walk whole tables. Each kind is limited per institution and per node,
 * and all of it together holds at most BULK_DB_CONNECTIONS of the pool, so that health checks,
 * sign-in and the operator's everyday requests always find a connection.
 */
@Injectable()
export class WorkLimits {
  private readonly limiters: Record<WorkKind, ConcurrencyLimiter>;
  /** Database connections for bulk work; waiters are bounded by the limiters in front. */
  readonly bulkDb: Semaphore;
  private readonly refused: Counter;

  constructor(@Inject(NODE_CONFIG) config: NodeRuntimeConfig, metrics: MetricsRegistry) {
    this.limiters = { uploads: new ConcurrencyLimiter(config.http.uploads), heavyReads: new ConcurrencyLimiter(config.http.heavyReads) };
    this.bulkDb = new Semaphore(config.http.bulkDbConnections);
    this.refused = new Counter({
      name: 'tdx_work_refused_total',
      help: 'Uploads and heavy reads refused for concurrency, by kind and by whose limit was reached (institution: 429, node: 503)',
      labelNames: ['kind', 'limit'],
      registers: [metrics.registry],
    });
    const limiters = this.limiters;
    new Gauge({
      name: 'tdx_work_in_progress',
      help: 'Uploads (being received or loaded) and heavy reads in progress',
      labelNames: ['kind'],
      registers: [metrics.registry],
      collect() {
        for (const kind of Object.keys(limiters) as WorkKind[]) this.set({ kind }, limiters[kind].inProgress);
      },
    });
  }

  inProgress(kind: WorkKind): number {
    return this.limiters[kind].inProgress;
  }

  /**
   * Admits one piece of work for `principal`, or throws 429/503 with Retry-After set on
   * `response`. Returns the release function: call it when the work ends, whatever the outcome.
   */
  admit(kind: WorkKind, principal: Principal, response: Pick<Response, 'setHeader'>): () => void {
    const outcome = this.limiters[kind].tryAcquire(limitKeyOf(principal));
    if (typeof outcome === 'function') return outcome;
    const described = DESCRIBED[kind];
    this.refused.inc({ kind, limit: outcome === 'key-full' ? 'institution' : 'node' });
    response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    if (outcome === 'key-full') {
      throw new BusyException(
        HttpStatus.TOO_MANY_REQUESTS,
        `too many ${described.what} in progress for this institution (${described.perInstitution}); try again in ${RETRY_AFTER_SECONDS} s`,
      );
    }
    throw new BusyException(
      HttpStatus.SERVICE_UNAVAILABLE,
      `the node has as many ${described.what} in progress as it takes (${described.perNode}); try again in ${RETRY_AFTER_SECONDS} s`,
    );
  }
}

/** Institution staff share their institution's budget; anyone else (operators, auditors) has one of their own. */
function limitKeyOf(principal: Principal): string {
  if (principal.kind !== 'user') return 'anonymous';
  const institution = principal.roles.find((grant) => grant.institutionId !== undefined)?.institutionId;
  return institution !== undefined ? `institution:${institution}` : `user:${principal.subject}`;
}
