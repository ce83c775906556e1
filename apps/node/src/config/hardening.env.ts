import { formatByteSize, parseByteSize } from './byte-size';
import type { HttpHardeningConfig, RateBudget } from './http-hardening.config';
import { isAbsolute } from 'node:path';
import { tmpdir } from 'node:os';
import { DATABASE_POOL_SIZE } from './pool-size';
import { parseTrustProxy } from './trust-proxy';

type Env = Record<string, string | undefined>;

/** Defaults; the README's table of variables states the same. */
export const HARDENING_DEFAULTS = {
  JSON_BODY_LIMIT: 5 * 1024 ** 2,
  UPLOAD_BODY_LIMIT: 10 * 1024 ** 3,
  MAX_URL_LENGTH: 8192,
  MAX_HEADER_BYTES: 16384,
  REQUEST_TIMEOUT_SECONDS: 300,
  SIGNIN_RATE_LIMIT: 10,
  SIGNIN_RATE_LIMIT_PER_ADDRESS: 50,
  SIGNIN_RATE_WINDOW_SECONDS: 900,
  PUBLIC_RATE_LIMIT: 300,
  PUBLIC_RATE_WINDOW_SECONDS: 60,
  NATS_REQUEST_RATE_LIMIT: 1000,
  NATS_REQUEST_RATE_WINDOW_SECONDS: 10,
  CHANNEL_REQUEST_RATE_LIMIT: 20_000,
  CHANNEL_REQUEST_RATE_WINDOW_SECONDS: 10,
  CHANNEL_TIMEOUT_MS: 5000,
  RATE_LIMIT_MAX_KEYS: 100_000,
  UPLOAD_CONCURRENCY: 8,
  UPLOAD_CONCURRENCY_PER_INSTITUTION: 2,
  HEAVY_READ_CONCURRENCY: 2,
  HEAVY_READ_CONCURRENCY_PER_INSTITUTION: 1,
  BULK_DB_CONNECTIONS: 4,
  AUDIT_REFUSAL_SUMMARY_SECONDS: 60,
  AUDIT_RETENTION_DAYS: 180,
} as const;

/** Connections of the pool that bulk work (upload loads, heavy reads) can never take. */
export const RESERVED_DB_CONNECTIONS = 3;

// An origin as browsers send it: scheme, host and optional port, nothing after.
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](:\d{1,5})?$/i;

/**
 * Reads the hardening variables (rate limits, body, URL and header limits, CORS, proxy trust).
 * Returns every problem, each starting with the variable's name and never quoting its value.
 */
export function loadHardeningConfig(env: Env): { config: HttpHardeningConfig; problems: string[] } {
  const problems: string[] = [];
  const size = (name: 'JSON_BODY_LIMIT' | 'UPLOAD_BODY_LIMIT', min: number): number => {
    const text = blankToUndefined(env[name]);
    if (text === undefined) return HARDENING_DEFAULTS[name];
    const bytes = parseByteSize(text);
    if (bytes === undefined || bytes < min) {
      problems.push(`${name} must be a size of at least ${formatByteSize(min)}, such as 5mb, 512kb, 10gb or a number of bytes`);
      return HARDENING_DEFAULTS[name];
    }
    return bytes;
  };
  const integer = (name: keyof typeof HARDENING_DEFAULTS, min: number, max: number): number => {
    const text = blankToUndefined(env[name]);
    if (text === undefined) return HARDENING_DEFAULTS[name];
    const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
    if (!(value >= min && value <= max)) {
      problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return HARDENING_DEFAULTS[name];
    }
    return value;
  };
  const budget = (limit: keyof typeof HARDENING_DEFAULTS, window: keyof typeof HARDENING_DEFAULTS): RateBudget => ({
    limit: integer(limit, 1, 1_000_000),
    windowSeconds: integer(window, 1, 86_400),
  });

  const trust = parseTrustProxy(env.TRUST_PROXY);
  if ('problem' in trust) problems.push(trust.problem);
  const corsOrigins = (blankToUndefined(env.CORS_ORIGINS) ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  if (corsOrigins.some((origin) => !ORIGIN.test(origin))) {
    problems.push(
      'CORS_ORIGINS must be a comma-separated list of origins such as https://portal.example.gov.cn (scheme, host and optional port; no path, no *)',
    );
  }

  const spoolDir = blankToUndefined(env.UPLOAD_SPOOL_DIR)?.trim();
  if (spoolDir !== undefined && !isAbsolute(spoolDir)) problems.push('UPLOAD_SPOOL_DIR must be an absolute path');

  const signInWindow = integer('SIGNIN_RATE_WINDOW_SECONDS', 1, 86_400);
  const config: HttpHardeningConfig = {
    trustProxy: 'value' in trust ? trust.value : false,
    corsOrigins: corsOrigins.map((origin) => origin.toLowerCase()),
    jsonBodyLimitBytes: size('JSON_BODY_LIMIT', 1024),
    uploadLimitBytes: size('UPLOAD_BODY_LIMIT', 1024),
    maxUrlLength: integer('MAX_URL_LENGTH', 256, 65_536),
    maxHeaderBytes: integer('MAX_HEADER_BYTES', 4096, 1_048_576),
    requestTimeoutSeconds: integer('REQUEST_TIMEOUT_SECONDS', 1, 86_400),
    signInPerUser: { limit: integer('SIGNIN_RATE_LIMIT', 1, 1_000_000), windowSeconds: signInWindow },
    signInPerAddress: { limit: integer('SIGNIN_RATE_LIMIT_PER_ADDRESS', 1, 1_000_000), windowSeconds: signInWindow },
    publicPerAddress: budget('PUBLIC_RATE_LIMIT', 'PUBLIC_RATE_WINDOW_SECONDS'),
    natsRequestsPerSender: budget('NATS_REQUEST_RATE_LIMIT', 'NATS_REQUEST_RATE_WINDOW_SECONDS'),
    channelRequestsPerSender: budget('CHANNEL_REQUEST_RATE_LIMIT', 'CHANNEL_REQUEST_RATE_WINDOW_SECONDS'),
    channelTimeoutMs: integer('CHANNEL_TIMEOUT_MS', 100, 600_000),
    rateLimitMaxKeys: integer('RATE_LIMIT_MAX_KEYS', 100, 10_000_000),
    uploadSpoolDir: spoolDir !== undefined && isAbsolute(spoolDir) ? spoolDir : tmpdir(),
    uploads: { perNode: integer('UPLOAD_CONCURRENCY', 1, 10_000), perInstitution: integer('UPLOAD_CONCURRENCY_PER_INSTITUTION', 1, 10_000) },
    heavyReads: { perNode: integer('HEAVY_READ_CONCURRENCY', 1, 10_000), perInstitution: integer('HEAVY_READ_CONCURRENCY_PER_INSTITUTION', 1, 10_000) },
    // Never the whole pool: sign-in, health and the operator's work keep the rest.
    bulkDbConnections: integer('BULK_DB_CONNECTIONS', 1, DATABASE_POOL_SIZE - RESERVED_DB_CONNECTIONS),
    refusalSummarySeconds: integer('AUDIT_REFUSAL_SUMMARY_SECONDS', 1, 3600),
    auditRetentionDays: integer('AUDIT_RETENTION_DAYS', 0, 36_500),
  };
  return { config, problems };
}

function blankToUndefined(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text;
}
