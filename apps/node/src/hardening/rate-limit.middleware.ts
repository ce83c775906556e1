import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { clientKeyOf } from './client-address';
import { FixedWindowLimiter, Hit } from './fixed-window-limiter';
import type { HttpHardeningConfig } from '../config/http-hardening.config';
import { TooManyRequestsException } from './too-many-requests';

/**
 * The routes whose attempts are limited as sign-ins: guessing a password or a token goes through
 * them. A password change checks the current password, so a stolen access token must not make it
 * an unlimited oracle.
 */
export const SIGN_IN_PATHS = ['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/setup', '/api/v1/auth/password'];
/** The anonymous open-data endpoints (everything under this prefix). */
export const PUBLIC_PATH_PREFIX = '/api/v1/open';

// Long user names are cut: they are only a key, and must not cost memory.
const MAX_USER_KEY = 200;

/**
 * Sign-in limits, per client address and per user name with address. Every attempt is counted
 * when it arrives, so parallel attempts cannot overshoot the limit, and given back when it
 * succeeds (status below 400): the limits count failed attempts. A 401, 404 or 400 counts,
 * which keeps the limit in force whatever answers behind it.
 */
export function signInRateLimit(config: HttpHardeningConfig): RequestHandler {
  const perAddress = new FixedWindowLimiter(config.signInPerAddress, config.rateLimitMaxKeys);
  const perUser = new FixedWindowLimiter(config.signInPerUser, config.rateLimitMaxKeys);
  return (request: Request, response: Response, next: NextFunction) => {
    const address = clientKeyOf(request.ip);
    const username = userNameOf(request.body);
    const hits: Hit[] = [];
    const addressHit = perAddress.hit(address);
    if (!addressHit.allowed) return refuse(response, next, 'sign-in attempts', addressHit.retryAfterSeconds);
    hits.push(addressHit);
    if (username !== undefined) {
      const userHit = perUser.hit(`${address} ${username}`);
      if (!userHit.allowed) {
        addressHit.refund();
        return refuse(response, next, `sign-in attempts for this user`, userHit.retryAfterSeconds);
      }
      hits.push(userHit);
    }
    response.on('finish', () => {
      if (response.statusCode < 400) for (const hit of hits) if (hit.allowed) hit.refund();
    });
    next();
  };
}

/** The open-data endpoints: every request counts, per client address. */
export function publicRateLimit(config: HttpHardeningConfig): RequestHandler {
  const perAddress = new FixedWindowLimiter(config.publicPerAddress, config.rateLimitMaxKeys);
  return (request: Request, response: Response, next: NextFunction) => {
    const hit = perAddress.hit(clientKeyOf(request.ip));
    if (!hit.allowed) return refuse(response, next, 'requests to the open-data endpoints', hit.retryAfterSeconds);
    next();
  };
}

function refuse(response: Response, next: NextFunction, what: string, retryAfterSeconds: number): void {
  response.setHeader('Retry-After', String(retryAfterSeconds));
  next(new TooManyRequestsException(what, retryAfterSeconds));
}

function userNameOf(body: unknown): string | undefined {
  const username = (body as { username?: unknown } | undefined)?.username;
  return typeof username === 'string' && username.trim() !== '' ? username.trim().toLowerCase().slice(0, MAX_USER_KEY) : undefined;
}
