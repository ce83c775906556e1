import type { NextFunction, Request, Response } from 'express';
import type { MetricsRegistry } from './metrics.registry';

/** Counts every answered request by status class (2xx, 3xx, 4xx, 5xx), the console's files and refusals included. */
export function countAnsweredRequests(metrics: MetricsRegistry): (request: Request, response: Response, next: NextFunction) => void {
  return (_request, response, next) => {
    response.once('finish', () => metrics.httpRequests.inc({ class: `${Math.floor(response.statusCode / 100)}xx` }));
    next();
  };
}
