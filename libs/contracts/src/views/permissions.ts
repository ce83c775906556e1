/**
 * What an endpoint needs: each route of a node names exactly one, and its roles say who holds it
 * (apps/node/src/access/permissions.ts). One definition, here, so that the console types what it
 * shows against the same names the node checks (`GET /api/v1/auth/me` lists the session's own).
 */
export const PERMISSIONS = [
  /** Who this node is (GET /api/v1/node). */
  'node:read',
  /** Federation link status and digests. */
  'federation:read',
  /** Federation administration: join approval, key rotation and revocation, the trust list. */
  'federation:administer',
  'institutions:read',
  'institutions:write',
  'catalog:read',
  /** Register, change and retire entries (institution admins: their own institution's only). */
  'catalog:write',
  /** Read dataset content (institution staff: their own institution's only). */
  'datasets:read',
  'datasets:write',
  'returns:read',
  /** Ask an ancestor for data, and start its transfers. */
  'returns:request',
  /** Approve or reject a request made to this node. */
  'returns:decide',
  /** Share requests and grants held here (institution staff: their own institution's). */
  'shares:read',
  /** Ask any institution of the province for data (Article 10), and withdraw the request. */
  'shares:request',
  /** Decide, and revoke, requests for this node's entries (institution admins: their own institution's entries). */
  'shares:decide',
  /** Query rows through a grant of the principal's institution. */
  'shares:query',
  /** Decide applications for this node's restricted open data (institution admins: their own institution's entries). */
  'open:decide',
  /** Accounts of this node (institution admins: institution users of their own institution). */
  'accounts:manage',
  /** Change an account's roles: the operator only, so that nobody promotes anyone to their own level. */
  'accounts:roles',
  'audit:read',
  /** Prune the oldest, exported part of the audit log behind an anchor: the operator only (the auditor changes nothing). */
  'audit:prune',
  /** Prometheus metrics and their history (also open to the METRICS_TOKEN bearer, /metrics only). */
  'metrics:read',
  /**
   * Supervision figures (Articles 5, 7, 11, 12): quality and conformance scores, access figures and
   * alerts, scorecards, the resource view, project reviews. Figures only: it reads no dataset rows.
   */
  'supervision:read',
  /** Run quality checks, set quality rules, scorecard weights and the synonym table of project review. */
  'supervision:manage',
  /** Declare a digital project of the principal's institution and submit it for review (Article 12). */
  'projects:declare',
  /** Decide a project's review stages (approval, acceptance, operations funding). */
  'projects:review',
  /** Any signed-in account, for its own profile and password. */
  'self',
] as const;

export type Permission = (typeof PERMISSIONS)[number];
