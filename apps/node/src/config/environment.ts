import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy, validateSync } from 'class-validator';
import { findDivision, isDirectChild, isDivisionCode, levelOf } from '@tdx/divisions';
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN } from '@tdx/contracts';
import type { NodeConfig } from './node-config';
import { loadHardeningConfig } from './hardening.env';
import { passwordProblem } from '../common/password-policy';
import { nkeySeedProblem } from './nats-credentials';
import { loadNatsTlsConfig } from './nats-tls';
import { loadHighAvailabilityConfig } from './high-availability.env';
import { loadQualityConfig } from './quality.env';
import { WorkingCalendar } from '@tdx/calendar';
import { resolve } from 'node:path';

/** A division code (isDivisionCode: six digits, not starting 00). */
function IsDivisionCode(message: string): PropertyDecorator {
  return ValidateBy({ name: 'isDivisionCode', validator: { validate: isDivisionCode } }, { message });
}

/** The environment variables a node reads. Names are the operator's contract: see README. */
export class EnvironmentVariables {
  @IsDivisionCode('NODE_CODE must be a six-digit division code')
  NODE_CODE!: string;

  @IsOptional()
  @IsDivisionCode('PARENT_CODE must be a six-digit division code (omit it for a province)')
  PARENT_CODE?: string;

  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL!: string;

  @Matches(/^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/, { message: 'NATS_URL must be one or more nats:// URLs separated by commas' })
  NATS_URL!: string;

  @IsOptional()
  @Matches(NAMESPACE_PATTERN, { message: 'NATS_NAMESPACE must be a lower-case letter followed by up to 15 lower-case letters or digits' })
  NATS_NAMESPACE?: string;

  /** The node's own NATS user: a file with its NKey user seed (see README and deploy/nats). */
  @IsOptional()
  @IsString()
  NATS_NKEY_SEED_FILE?: string;

  @IsInt({ message: 'PORT must be an integer' })
  @Min(1, { message: 'PORT must be between 1 and 65535' })
  @Max(65535, { message: 'PORT must be between 1 and 65535' })
  PORT!: number;

  @IsOptional()
  @IsString()
  NODE_NAME?: string;

  @IsOptional()
  @IsString()
  NODE_KEY_FILE?: string;

  @IsOptional()
  @IsIn(['error', 'warn', 'log', 'debug'], { message: 'LOG_LEVEL must be one of error, warn, log, debug' })
  LOG_LEVEL?: 'error' | 'warn' | 'log' | 'debug';

  /** `text` (default) for a person at a terminal; `json`: one JSON object per line for a log shipper. */
  @IsOptional()
  @IsIn(['text', 'json'], { message: 'LOG_FORMAT must be text or json' })
  LOG_FORMAT?: 'text' | 'json';

  /** The first administrator's password, used only while the node has no account (checked below for strength). */
  @IsOptional()
  @IsString()
  ADMIN_PASSWORD?: string;

  @IsOptional()
  @IsInt({ message: 'ACCESS_TOKEN_TTL must be a whole number of seconds' })
  @Min(1, { message: 'ACCESS_TOKEN_TTL must be between 1 and 86400 seconds' })
  @Max(86400, { message: 'ACCESS_TOKEN_TTL must be between 1 and 86400 seconds' })
  ACCESS_TOKEN_TTL?: number;

  @IsOptional()
  @IsInt({ message: 'REFRESH_TOKEN_TTL must be a whole number of seconds' })
  @Min(60, { message: 'REFRESH_TOKEN_TTL must be between 60 and 2592000 seconds (30 days)' })
  @Max(2592000, { message: 'REFRESH_TOKEN_TTL must be between 60 and 2592000 seconds (30 days)' })
  REFRESH_TOKEN_TTL?: number;

  /** `operator` (default): a direct child's join waits for an operator here; `auto`: any direct child is accepted on first use (demos, tests). */
  @IsOptional()
  @IsIn(['operator', 'auto'], { message: 'JOIN_APPROVAL must be operator or auto' })
  JOIN_APPROVAL?: 'operator' | 'auto';

  /** At the province: how long a trust list it issues stays valid. */
  @IsOptional()
  @IsInt({ message: 'TRUST_LIST_TTL must be a whole number of seconds' })
  @Min(2, { message: 'TRUST_LIST_TTL must be between 2 and 2592000 seconds (30 days)' })
  @Max(2592000, { message: 'TRUST_LIST_TTL must be between 2 and 2592000 seconds (30 days)' })
  TRUST_LIST_TTL?: number;

  /** How often a node asks its parent for a newer trust list (besides when the parent announces one). */
  @IsOptional()
  @IsInt({ message: 'TRUST_REFRESH must be a whole number of seconds' })
  @Min(1, { message: 'TRUST_REFRESH must be between 1 and 3600 seconds' })
  @Max(3600, { message: 'TRUST_REFRESH must be between 1 and 3600 seconds' })
  TRUST_REFRESH?: number;

  /** How often a node sends its parent a signed heartbeat; the parent calls a child stale after three silent intervals. */
  @IsOptional()
  @IsInt({ message: 'HEARTBEAT_INTERVAL must be a whole number of seconds' })
  @Min(1, { message: 'HEARTBEAT_INTERVAL must be between 1 and 300 seconds' })
  @Max(300, { message: 'HEARTBEAT_INTERVAL must be between 1 and 300 seconds' })
  HEARTBEAT_INTERVAL?: number;

  /**
   * The province's public key, installed out of band like a root certificate: every signature a
   * node checks leads back to it, and it is never learnt from the network.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: "TRUST_ANCHOR must be the province's Ed25519 public key: 43 characters of base64url" })
  TRUST_ANCHOR?: string;

  /** A bearer token that may read /metrics only, for a Prometheus scraper that cannot sign in. */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{32,256}$/, { message: 'METRICS_TOKEN must be 32 to 256 printable characters without spaces' })
  METRICS_TOKEN?: string;

  /** Working days the provider has to decide a share request of an `unconditional` entry when it is not granted at once (Article 10). */
  @IsOptional()
  @IsInt({ message: 'SHARE_DEADLINE_DAYS_UNCONDITIONAL must be a whole number of working days' })
  @Min(0, { message: 'SHARE_DEADLINE_DAYS_UNCONDITIONAL must be between 0 and 60 working days' })
  @Max(60, { message: 'SHARE_DEADLINE_DAYS_UNCONDITIONAL must be between 0 and 60 working days' })
  SHARE_DEADLINE_DAYS_UNCONDITIONAL?: number;

  /** Working days the provider has to decide a share request of a `conditional` entry. */
  @IsOptional()
  @IsInt({ message: 'SHARE_DEADLINE_DAYS_CONDITIONAL must be a whole number of working days' })
  @Min(0, { message: 'SHARE_DEADLINE_DAYS_CONDITIONAL must be between 0 and 60 working days' })
  @Max(60, { message: 'SHARE_DEADLINE_DAYS_CONDITIONAL must be between 0 and 60 working days' })
  SHARE_DEADLINE_DAYS_CONDITIONAL?: number;

  /** The operator's calendar file: public holidays and adjusted working days added to the shipped ones. */
  @IsOptional()
  @IsString()
  CALENDAR_FILE?: string;

  /** The built web console (index.html and assets/) this node serves at `/`; default: apps/console/dist of the checkout. */
  @IsOptional()
  @IsString()
  CONSOLE_DIR?: string;

  /** `auto` (default): the console's refresh cookie is Secure when the request came over https; `always`: always Secure. */
  @IsOptional()
  @IsIn(['auto', 'always'], { message: 'SESSION_COOKIE_SECURE must be auto or always' })
  SESSION_COOKIE_SECURE?: 'auto' | 'always';

  /** Seconds between two samples of the metrics history (GET /api/v1/metrics/history); shorter only for tests. */
  @IsOptional()
  @IsInt({ message: 'METRICS_HISTORY_INTERVAL must be a whole number of seconds' })
  @Min(1, { message: 'METRICS_HISTORY_INTERVAL must be between 1 and 3600 seconds' })
  @Max(3600, { message: 'METRICS_HISTORY_INTERVAL must be between 1 and 3600 seconds' })
  METRICS_HISTORY_INTERVAL?: number;

  /** Minutes between two runs of access supervision (docs/supervision.md, "Access supervision"); 0: only when asked (POST /api/v1/supervision/access/run). */
  @IsOptional()
  @IsInt({ message: 'ACCESS_SUPERVISION_INTERVAL_MINUTES must be a whole number of minutes' })
  @Min(0, { message: 'ACCESS_SUPERVISION_INTERVAL_MINUTES must be between 0 (off) and 10080 minutes' })
  @Max(10080, { message: 'ACCESS_SUPERVISION_INTERVAL_MINUTES must be between 0 (off) and 10080 minutes' })
  ACCESS_SUPERVISION_INTERVAL_MINUTES?: number;

  /** Days before its expiry from which a grant in force counts as expiring soon (and raises an alert). */
  @IsOptional()
  @IsInt({ message: 'ACCESS_GRANT_EXPIRY_DAYS must be a whole number of days' })
  @Min(1, { message: 'ACCESS_GRANT_EXPIRY_DAYS must be between 1 and 365 days' })
  @Max(365, { message: 'ACCESS_GRANT_EXPIRY_DAYS must be between 1 and 365 days' })
  ACCESS_GRANT_EXPIRY_DAYS?: number;
}

/**
 * Where the console is built in this checkout: apps/console/dist, found from this file, which is
 * apps/node/dist/config/environment.js when built and apps/node/src/config/environment.ts in tests.
 */
export const DEFAULT_CONSOLE_DIR = resolve(__dirname, '../../../console/dist');

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment once, naming every bad variable in one message. Never echoes values. */
export function loadNodeConfig(env: Record<string, string | undefined>): NodeConfig {
  const raw = plainToInstance(EnvironmentVariables, {
    ...env,
    PORT: env.PORT === undefined || env.PORT === '' ? undefined : Number(env.PORT),
    PARENT_CODE: env.PARENT_CODE === '' ? undefined : env.PARENT_CODE,
    NATS_NKEY_SEED_FILE: env.NATS_NKEY_SEED_FILE === '' ? undefined : env.NATS_NKEY_SEED_FILE,
    ...secondsOf(env, 'ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_TTL', 'TRUST_LIST_TTL', 'TRUST_REFRESH', 'HEARTBEAT_INTERVAL'),
    ...secondsOf(env, 'SHARE_DEADLINE_DAYS_UNCONDITIONAL', 'SHARE_DEADLINE_DAYS_CONDITIONAL', 'METRICS_HISTORY_INTERVAL'),
    ...secondsOf(env, 'ACCESS_SUPERVISION_INTERVAL_MINUTES', 'ACCESS_GRANT_EXPIRY_DAYS'),
    CONSOLE_DIR: env.CONSOLE_DIR === '' ? undefined : env.CONSOLE_DIR,
    SESSION_COOKIE_SECURE: env.SESSION_COOKIE_SECURE === '' ? undefined : env.SESSION_COOKIE_SECURE,
    CALENDAR_FILE: env.CALENDAR_FILE === '' ? undefined : env.CALENDAR_FILE,
    JOIN_APPROVAL: env.JOIN_APPROVAL === '' ? undefined : env.JOIN_APPROVAL,
    LOG_FORMAT: env.LOG_FORMAT === '' ? undefined : env.LOG_FORMAT,
    ADMIN_PASSWORD: env.ADMIN_PASSWORD === '' ? undefined : env.ADMIN_PASSWORD,
    METRICS_TOKEN: env.METRICS_TOKEN === '' ? undefined : env.METRICS_TOKEN,
    TRUST_ANCHOR: env.TRUST_ANCHOR === '' ? undefined : env.TRUST_ANCHOR?.trim(),
  });
  const errors = validateSync(raw, { whitelist: false });
  const problems = errors.flatMap((e) =>
    Object.values(e.constraints ?? {})
      .slice(0, 1)
      .map((m) => (m.startsWith(e.property) ? m : `${e.property}: ${m}`)),
  );
  // The checks across variables run whenever the variables they read are valid themselves, so
  // that one message still names every bad variable.
  const bad = new Set(errors.map((e) => e.property));
  const code = raw.NODE_CODE;
  const name = bad.has('NODE_CODE') ? undefined : (findDivision(code)?.name ?? raw.NODE_NAME);
  if (!bad.has('NODE_CODE') && !bad.has('PARENT_CODE')) problems.push(...jurisdictionProblems(raw));
  if (!bad.has('NODE_CODE') && !bad.has('TRUST_ANCHOR') && raw.TRUST_ANCHOR === undefined && levelOf(code) !== 'province') {
    problems.push(`TRUST_ANCHOR: required for a ${levelOf(code)} node: the province's public key, as the province shows it at start`);
  }
  if (!bad.has('NODE_CODE') && !bad.has('NODE_NAME') && !name) problems.push(`NODE_NAME: required because ${code} is not in the division list`);
  const hardening = loadHardeningConfig(env);
  problems.push(...hardening.problems);
  const weak = raw.ADMIN_PASSWORD === undefined || bad.has('ADMIN_PASSWORD') ? undefined : passwordProblem(raw.ADMIN_PASSWORD, 'admin');
  if (weak) problems.push(`ADMIN_PASSWORD ${weak}`);
  const seedProblem = raw.NATS_NKEY_SEED_FILE === undefined ? undefined : nkeySeedProblem(raw.NATS_NKEY_SEED_FILE);
  if (seedProblem) problems.push(seedProblem);
  const natsTls = loadNatsTlsConfig(env);
  problems.push(...natsTls.problems);
  const calendar = calendarProblem(raw.CALENDAR_FILE);
  if (calendar) problems.push(calendar);
  const highAvailability = loadHighAvailabilityConfig(env);
  problems.push(...highAvailability.problems);
  const quality = loadQualityConfig(env);
  problems.push(...quality.problems);
  if (problems.length > 0 || !name) throw new ConfigError(problems);

  return {
    code,
    name,
    level: levelOf(code),
    parentCode: raw.PARENT_CODE ?? null,
    databaseUrl: raw.DATABASE_URL,
    natsUrl: raw.NATS_URL,
    natsNamespace: raw.NATS_NAMESPACE ?? DEFAULT_NAMESPACE,
    natsNkeySeedFile: raw.NATS_NKEY_SEED_FILE ?? null,
    natsTls: natsTls.config,
    port: raw.PORT,
    keyFile: raw.NODE_KEY_FILE ?? `.tdx/keys/node-${code}.pem`,
    logLevel: raw.LOG_LEVEL ?? 'log',
    logFormat: raw.LOG_FORMAT ?? 'text',
    http: hardening.config,
    identity: {
      joinApproval: raw.JOIN_APPROVAL ?? 'operator',
      trustListTtlSeconds: raw.TRUST_LIST_TTL ?? 86400,
      trustRefreshSeconds: raw.TRUST_REFRESH ?? 30,
      trustAnchor: raw.TRUST_ANCHOR ?? null,
    },
    heartbeatSeconds: raw.HEARTBEAT_INTERVAL ?? 10,
    highAvailability: highAvailability.config,
    sharing: {
      deadlineDays: { unconditional: raw.SHARE_DEADLINE_DAYS_UNCONDITIONAL ?? 1, conditional: raw.SHARE_DEADLINE_DAYS_CONDITIONAL ?? 10 },
      calendarFile: raw.CALENDAR_FILE ?? null,
    },
    console: { dir: resolve(raw.CONSOLE_DIR ?? DEFAULT_CONSOLE_DIR) },
    metricsHistory: { intervalSeconds: raw.METRICS_HISTORY_INTERVAL ?? 60 },
    accessSupervision: { intervalMinutes: raw.ACCESS_SUPERVISION_INTERVAL_MINUTES ?? 60, grantExpiryDays: raw.ACCESS_GRANT_EXPIRY_DAYS ?? 14 },
    quality: quality.config,
    auth: {
      accessTokenTtlSeconds: raw.ACCESS_TOKEN_TTL ?? 900,
      refreshTokenTtlSeconds: raw.REFRESH_TOKEN_TTL ?? 28800,
      sessionCookieSecure: raw.SESSION_COOKIE_SECURE ?? 'auto',
      ...(raw.ADMIN_PASSWORD !== undefined ? { adminPassword: raw.ADMIN_PASSWORD } : {}),
      ...(raw.METRICS_TOKEN !== undefined ? { metricsToken: raw.METRICS_TOKEN } : {}),
    },
  };
}

/** The operator's calendar file must read (a bad file would otherwise surface at the first deadline). */
function calendarProblem(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    WorkingCalendar.fromFile(file);
    return undefined;
  } catch (error) {
    return `CALENDAR_FILE: ${(error as Error).message}`;
  }
}

/** Numbers of seconds as numbers, so that a non-number is named by its own check. */
function secondsOf(env: Record<string, string | undefined>, ...names: string[]): Record<string, number | undefined> {
  return Object.fromEntries(names.map((name) => [name, env[name] === undefined || env[name] === '' ? undefined : Number(env[name])]));
}

function jurisdictionProblems(raw: EnvironmentVariables): string[] {
  const level = levelOf(raw.NODE_CODE);
  if (level === 'province') {
    return raw.PARENT_CODE ? [`PARENT_CODE: a province (${raw.NODE_CODE}) has no parent`] : [];
  }
  if (!raw.PARENT_CODE) return [`PARENT_CODE: required for a ${level} node`];
  if (!isDirectChild(raw.NODE_CODE, raw.PARENT_CODE)) {
    return [`PARENT_CODE: ${raw.NODE_CODE} does not sit directly under ${raw.PARENT_CODE} (Article 9)`];
  }
  return [];
}
