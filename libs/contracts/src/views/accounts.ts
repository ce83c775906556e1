/** The roles an account can hold at a node; the first three are the operators of a tier. */
export const ACCOUNT_ROLES = ['province-operator', 'municipal-admin', 'county-operator', 'institution-admin', 'institution-user', 'auditor'] as const;
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

/** The answer to a sign-in and to a refresh: the refresh token presented to refresh is used up. */
export interface TokenPairView {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
}

/** The session's own account (`GET /auth/me`), with the node it is an account of. */
export interface SessionView extends AccountView {
  node: string;
}
