import type { Request, Response } from 'express';
import { REFRESH_COOKIE, SESSION_MODE_HEADER } from '@tdx/contracts';
import type { AuthConfig } from '../config/node-config';

/** The cookie is sent only to the sign-in routes: no other request carries the refresh token. */
export const REFRESH_COOKIE_PATH = '/api/v1/auth';

// What the node issues (`tdxr_` and base64url); anything else in the cookie is not a token of ours.
const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * Cookie mode, for the browser console: the request says `X-TDX-Session: cookie`. A cross-site
 * form cannot set a header, and another origin's script needs a CORS preflight for it, which the
 * node refuses (cors.ts allows no such header): so the cookie, sent by the browser on its own,
 * acts only on requests the console itself made.
 */
export function wantsCookieSession(request: Request): boolean {
  const value = request.headers[SESSION_MODE_HEADER];
  return typeof value === 'string' && value.trim().toLowerCase() === 'cookie';
}

/**
 * The refresh token in the request's `tdx_refresh` cookie: `missing` without one, `malformed`
 * when the Cookie header holds it more than once or with a value no token has (hostile headers
 * are refused as not signed in, never parsed further).
 */
export function refreshCookieOf(request: Request): { token: string } | { problem: 'missing' | 'malformed' } {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header === '') return { problem: 'missing' };
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at < 0 || pair.slice(0, at).trim() !== REFRESH_COOKIE) continue;
    let value = pair.slice(at + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    values.push(value);
  }
  if (values.length === 0) return { problem: 'missing' };
  if (values.length > 1 || !TOKEN.test(values[0])) return { problem: 'malformed' };
  return { token: values[0] };
}

/** Sets the refresh cookie: HttpOnly (no script reads it), SameSite=Strict, only to the sign-in routes, for the token's lifetime. */
export function setRefreshCookie(request: Request, response: Response, token: string, config: AuthConfig): void {
  response.append('Set-Cookie', cookie(`${REFRESH_COOKIE}=${token}`, config.refreshTokenTtlSeconds, secure(request, config)));
}

/** Ends the cookie at the browser (sign-out, or a refresh the node refused). */
export function clearRefreshCookie(request: Request, response: Response, config: AuthConfig): void {
  response.append('Set-Cookie', cookie(`${REFRESH_COOKIE}=`, 0, secure(request, config)));
}

function cookie(pair: string, maxAge: number, secure: boolean): string {
  return [pair, `Max-Age=${maxAge}`, `Path=${REFRESH_COOKIE_PATH}`, 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}

/** `request.secure` is https as Express sees it: X-Forwarded-Proto only from a proxy TRUST_PROXY trusts. */
function secure(request: Request, config: AuthConfig): boolean {
  return config.sessionCookieSecure === 'always' || request.secure;
}
