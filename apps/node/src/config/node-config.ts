import type { QualityConfig } from './quality.env';
import type { SigningKey } from '@tdx/contracts';
import type { DivisionLevel } from '@tdx/divisions';
import type { HttpHardeningConfig } from './http-hardening.config';
import type { NatsTlsFiles } from './nats-tls';
import type { HighAvailabilityConfig } from './high-availability.env';

/** Everything one node instance needs; validated once at start-up, never read from process.env afterwards. */
export interface NodeConfig {
  code: string;
  name: string;
  level: DivisionLevel;
  parentCode: string | null;
  databaseUrl: string;
  natsUrl: string;
  /** Prefix of every subject and stream name; separates federations sharing one NATS server. */
  natsNamespace: string;
  /** The node's NATS credential: a file holding its NKey user seed; null on a server without authentication. */
  natsNkeySeedFile: string | null;
  /** CA, client certificate and key for TLS to the nats-server (NATS_TLS_*); null: the client's defaults. */
  natsTls: NatsTlsFiles | null;
  port: number;
  keyFile: string;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** LOG_FORMAT: `text` lines for people, `json` (one object per line) for log shippers. */
  logFormat: 'text' | 'json';
  /** Rate limits, body, URL and header limits, CORS and proxy trust (see hardening/). */
  http: HttpHardeningConfig;
  auth: AuthConfig;
  identity: IdentityConfig;
  /** HEARTBEAT_INTERVAL: seconds between this node's heartbeats to its parent (docs/protocol.md, "Heartbeats"). */
  heartbeatSeconds: number;
  sharing: SharingConfig;
  /** Several replicas of one node: lease length, JetStream stream copies (WORKER_LEASE_SECONDS, NATS_STREAM_REPLICAS). */
  highAvailability: HighAvailabilityConfig;
  /** The web console this node serves at `/` (CONSOLE_DIR, an absolute path). */
  console: { dir: string };
  /** METRICS_HISTORY_INTERVAL: seconds between two samples of GET /api/v1/metrics/history. */
  metricsHistory: { intervalSeconds: number };
  /** ACCESS_SUPERVISION_INTERVAL_MINUTES (0: off), ACCESS_GRANT_EXPIRY_DAYS: access supervision (docs/supervision.md). */
  accessSupervision: { intervalMinutes: number; grantExpiryDays: number };
  quality: QualityConfig;
}

/** Sharing between institutions (SHARE_DEADLINE_DAYS_*, CALENDAR_FILE; operator guide, "Sharing"). */
export interface SharingConfig {
  /** Working days the provider has to decide, by the entry's share type. */
  deadlineDays: { unconditional: number; conditional: number };
  /** The operator's calendar file on top of the shipped calendar; null: the shipped one only. */
  calendarFile: string | null;
}

/** Node identity (see README: JOIN_APPROVAL, TRUST_LIST_TTL, TRUST_REFRESH). */
export interface IdentityConfig {
  joinApproval: 'operator' | 'auto';
  trustListTtlSeconds: number;
  trustRefreshSeconds: number;
  /**
   * The province's public key (TRUST_ANCHOR): required below the province; at the province, if set,
   * it must be the province's own key.
   */
  trustAnchor: string | null;
}

/** Sign-in settings (see README: ADMIN_PASSWORD, ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL, METRICS_TOKEN). */
export interface AuthConfig {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** SESSION_COOKIE_SECURE: `auto`, the console's refresh cookie is Secure over https (as the proxy trust tells); `always`. */
  sessionCookieSecure: 'auto' | 'always';
  /** Only while the node has no account: the first administrator's password. */
  adminPassword?: string;
  metricsToken?: string;
}

/** A node's configuration together with its signing key, the unit that one Nest application serves. */
export interface NodeRuntimeConfig extends NodeConfig {
  signingKey: SigningKey;
}

export const NODE_CONFIG = Symbol('NODE_CONFIG');
