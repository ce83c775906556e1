import type { Permission } from './permissions';

/** The roles an account can hold at a node; the first three are the operators of a tier. */
export const ACCOUNT_ROLES = [
  'province-operator',
  'municipal-admin',
  'county-operator',
  'institution-admin',
  'institution-user',
  'auditor',
  'supervisor',
] as const;
export type AccountRoleName = (typeof ACCOUNT_ROLES)[number];

/** A role of an account; institution roles name their institution, the others have null. */
export interface AccountRoleView {
  role: AccountRoleName;
  institutionId: string | null;
}

/** A local account of a node (never its password hash). */
export interface AccountView {
  id: string;
  username: string;
  disabled: boolean;
  roles: AccountRoleView[];
  /** `user:<name>` of who created it, or `setup`/`environment` for the first administrator. */
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * The answer to a sign-in and to a refresh in cookie mode (header `X-TDX-Session: cookie`, the
 * console): the refresh token travels only in the HttpOnly cookie `tdx_refresh`, never in a body
 * a script could read.
 */
export interface AccessTokenView {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
}

/** The answer to a sign-in and to a refresh (body mode, the CLI): the refresh token presented to refresh is used up. */
export interface TokenPairView extends AccessTokenView {
  refreshToken: string;
}

/** The header value that asks for cookie mode, and the cookie that carries the refresh token then. */
export const SESSION_MODE_HEADER = 'x-tdx-session';
export const REFRESH_COOKIE = 'tdx_refresh';

/**
 * The session's own account (`GET /auth/me`), with the node it is an account of and what it may
 * do there: its effective permissions at this node, sorted (the console shows only what the API allows).
 */
export interface SessionView extends AccountView {
  node: string;
  permissions: Permission[];
}
