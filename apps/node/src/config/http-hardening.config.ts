import type { TrustProxy } from './trust-proxy';

/** A request budget: at most `limit` requests per key in a window of `windowSeconds`. */
export interface RateBudget {
  limit: number;
  windowSeconds: number;
}

/** How many of one kind of work may run at once, on the whole node and for one institution (or one account without one). */
export interface ConcurrencyBudget {
  perNode: number;
  perInstitution: number;
}

/** The HTTP hardening of one node, read from the environment once (see hardening.env.ts and the README). */
export interface HttpHardeningConfig {
  /** Which proxies may tell the client's address in X-Forwarded-For; `false` trusts none. */
  trustProxy: TrustProxy;
  /** Origins (`https://portal.example`) whose browser pages may call this node; empty allows none. */
  corsOrigins: string[];
  jsonBodyLimitBytes: number;
  /** Largest dataset upload, counted in bytes after gzip decompression. */
  uploadLimitBytes: number;
  maxUrlLength: number;
  maxHeaderBytes: number;
  /** Time a whole request may take to arrive, body included: an upload must be sent within it. */
  requestTimeoutSeconds: number;
  /** Failed sign-in attempts per user name and client address. */
  signInPerUser: RateBudget;
  /** Failed attempts on all sign-in paths (login, refresh, setup, password change) per client address, whatever the user name. */
  signInPerAddress: RateBudget;
  /** Requests to the anonymous open-data endpoints per client address. */
  publicPerAddress: RateBudget;
  /** Core-NATS requests (joins, returns, trust-list copies) per sender and responder: see federation/request-limits.ts. */
  natsRequestsPerSender: RateBudget;
  /** Channel messages (Article 10) per sending node: a query through the channel is a message, so its budget is larger. */
  channelRequestsPerSender: RateBudget;
  /** How long a node waits for another's answer through the channel before answering 503 naming it. */
  channelTimeoutMs: number;
  /** Keys each rate limiter remembers at most; the oldest are forgotten first. */
  rateLimitMaxKeys: number;
  /** Where uploads are spooled before they are loaded (a directory of this node's own is made inside). */
  uploadSpoolDir: string;
  /** Dataset uploads being received or loaded. */
  uploads: ConcurrencyBudget;
  /** Reads that walk a whole table: audit verification and export, dataset summaries. */
  heavyReads: ConcurrencyBudget;
  /** Pool connections that upload loads and heavy reads may hold together; the rest stays for everything else. */
  bulkDbConnections: number;
  /** Seconds between aggregated audit records of refused anonymous requests. */
  refusalSummarySeconds: number;
  /** Audit records younger than this many days are never pruned. */
  auditRetentionDays: number;
}
