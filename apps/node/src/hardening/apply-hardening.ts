import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express } from 'express';
import type { Server } from 'node:http';
import { answerClientErrors } from './client-errors';
import { corsOptions } from './cors';
import type { HttpHardeningConfig } from '../config/http-hardening.config';
import { PUBLIC_PATH_PREFIX, publicRateLimit, SIGN_IN_PATHS, signInRateLimit } from './rate-limit.middleware';
import { jsonBodyDepthLimit, jsonBodyTooLarge, urlLengthLimit } from './request-limits';
import { securityHeaders } from './security-headers';

/**
 * Everything in front of the node's routes, in order: proxy trust (which address a request
 * comes from), the URL limit, security headers and CORS (so that every answer, errors included,
 * carries them), the JSON body parser with its size and depth limits, then the rate limits,
 * which read the user name from the parsed body. Express middleware, registered before Nest's
 * routes: the limits hold for their paths whatever module serves them, and a 404 counts too.
 */
export function applyHttpHardening(app: NestExpressApplication, config: HttpHardeningConfig): void {
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // Node answers 431 to larger request heads (default 16 KiB). The server reads this property for
  // each new connection; its typings know only the constructor option.
  const server = app.getHttpServer() as Server & { maxHeaderSize?: number };
  server.maxHeaderSize = config.maxHeaderBytes;
  // The whole request, body included, must arrive within this (Node answers 408): a large dataset
  // upload needs more than Node's default of 5 minutes. The head keeps Node's one minute, and may
  // never have longer than the whole request.
  server.requestTimeout = config.requestTimeoutSeconds * 1000;
  server.headersTimeout = Math.min(60_000, server.requestTimeout);
  // What Node's parser refuses (a raw non-ASCII URL, a malformed head) is answered as JSON too.
  answerClientErrors(server, config);
  app.use(urlLengthLimit(config.maxUrlLength));
  app.use(securityHeaders());
  app.enableCors(corsOptions(config.corsOrigins));
  // JSON only: dataset uploads (text/csv, NDJSON) are read as streams by their route.
  app.useBodyParser('json', { limit: config.jsonBodyLimitBytes });
  app.use(jsonBodyTooLarge(config.jsonBodyLimitBytes));
  app.use(jsonBodyDepthLimit());
  const express = app.getHttpAdapter().getInstance() as Express;
  express.post(SIGN_IN_PATHS, signInRateLimit(config));
  app.use(PUBLIC_PATH_PREFIX, publicRateLimit(config));
}
