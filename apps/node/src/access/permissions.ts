import type { DivisionLevel } from '@tdx/divisions';
import type { Principal, Role, RoleGrant } from './principal';

/**
 * What an endpoint needs. Each route handler names exactly one (see policy.decorator.ts); the
 * table below says which roles hold it. Institution roles hold some of them only for their own
 * institution's resources: the services check that scope (institution-scope.ts).
 */
export type Permission =
  /** Who this node is (GET /api/v1/node). */
  | 'node:read'
  /** Federation link status and digests. */
  | 'federation:read'
  /** Federation administration: join approval, key rotation and revocation, the trust list. */
  | 'federation:administer'
  | 'institutions:read'
  | 'institutions:write'
  | 'catalog:read'
  /** Register, change and retire entries (institution admins: their own institution's only). */
  | 'catalog:write'
  /** Read dataset content (institution staff: their own institution's only). */
  | 'datasets:read'
  | 'datasets:write'
  | 'returns:read'
  /** Ask an ancestor for data, and start its transfers. */
  | 'returns:request'
  /** Approve or reject a request made to this node. */
  | 'returns:decide'
  /** Share requests and grants held here (institution staff: their own institution's). */
  | 'shares:read'
  /** Ask any institution of the province for data (Article 10), and withdraw the request. */
  | 'shares:request'
  /** Decide, and revoke, requests for this node's entries (institution admins: their own institution's entries). */
  | 'shares:decide'
  /** Query rows through a grant of the principal's institution. */
  | 'shares:query'
  /** Decide applications for this node's restricted open data (institution admins: their own institution's entries). */
  | 'open:decide'
  /** Accounts of this node (institution admins: institution users of their own institution). */
  | 'accounts:manage'
  /** Change an account's roles: the operator only, so that nobody promotes anyone to their own level. */
  | 'accounts:roles'
  | 'audit:read'
  /** Prune the oldest, exported part of the audit log behind an anchor: the operator only (the auditor changes nothing). */
  | 'audit:prune'
  /** Prometheus metrics (also open to the METRICS_TOKEN bearer). */
  | 'metrics:read'
  /** Any signed-in account, for its own profile and password. */
  | 'self';

export const OPERATOR_ROLES = ['province-operator', 'municipal-admin', 'county-operator'] as const satisfies readonly Role[];
export const ROLES = [...OPERATOR_ROLES, 'institution-admin', 'institution-user', 'auditor'] as const satisfies readonly Role[];
export const INSTITUTION_ROLES = ['institution-admin', 'institution-user'] as const satisfies readonly Role[];

const ALL_PERMISSIONS: Permission[] = [
  'node:read',
  'federation:read',
  'federation:administer',
  'institutions:read',
  'institutions:write',
  'catalog:read',
  'catalog:write',
  'datasets:read',
  'datasets:write',
  'returns:read',
  'returns:request',
  'returns:decide',
  'shares:read',
  'shares:request',
  'shares:decide',
  'shares:query',
  'open:decide',
  'accounts:manage',
  'accounts:roles',
  'audit:read',
  'audit:prune',
  'metrics:read',
  'self',
];
const INSTITUTION_USER: Permission[] = [
  'node:read',
  'institutions:read',
  'catalog:read',
  'datasets:read',
  'returns:read',
  'returns:request',
  'shares:read',
  'shares:request',
  'shares:query',
  'self',
];

/**
 * Role -> permissions. The operator of a node does everything at that node, reading the audit log
 * included (to verify it); the auditor reads the audit log and nothing else (separation of duties:
 * who reviews the log changes nothing it records).
 */
export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  'province-operator': new Set(ALL_PERMISSIONS),
  'municipal-admin': new Set(ALL_PERMISSIONS),
  'county-operator': new Set(ALL_PERMISSIONS),
  'institution-admin': new Set<Permission>([...INSTITUTION_USER, 'catalog:write', 'datasets:write', 'shares:decide', 'open:decide', 'accounts:manage']),
  'institution-user': new Set(INSTITUTION_USER),
  auditor: new Set<Permission>(['audit:read', 'self']),
};

/** The operator role of a node: each tier has its own (a county operator is no municipal admin). */
export function operatorRoleFor(level: DivisionLevel): Role {
  return level === 'province' ? 'province-operator' : level === 'city' ? 'municipal-admin' : 'county-operator';
}

export function isOperatorRole(role: Role): boolean {
  return (OPERATOR_ROLES as readonly Role[]).includes(role);
}

export function isInstitutionRole(role: Role): boolean {
  return (INSTITUTION_ROLES as readonly Role[]).includes(role);
}

/** The grants of a principal that count at this node: its own node, and an operator role only of this node's tier. */
export function effectiveGrants(principal: Principal, node: { code: string; level: DivisionLevel }): RoleGrant[] {
  if (principal.kind !== 'user') return [];
  return principal.roles.filter((g) => g.node === node.code && (!isOperatorRole(g.role) || g.role === operatorRoleFor(node.level)));
}

export function permits(principal: Principal, permission: Permission, node: { code: string; level: DivisionLevel }): boolean {
  return effectiveGrants(principal, node).some((g) => ROLE_PERMISSIONS[g.role].has(permission));
}
