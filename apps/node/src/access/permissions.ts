import type { DivisionLevel } from '@tdx/divisions';
import { PERMISSIONS, type Permission } from '@tdx/contracts';
import type { Principal, Role, RoleGrant } from './principal';

/**
 * What an endpoint needs. Each route handler names exactly one (see policy.decorator.ts); the
 * table below says which roles hold it. Institution roles hold some of them only for their own
 * institution's resources: the services check that scope (institution-scope.ts). The names are
 * defined once in libs/contracts (the console types against them).
 */
export type { Permission };

export const OPERATOR_ROLES = ['province-operator', 'municipal-admin', 'county-operator'] as const satisfies readonly Role[];
export const ROLES = [...OPERATOR_ROLES, 'institution-admin', 'institution-user', 'auditor', 'supervisor'] as const satisfies readonly Role[];
export const INSTITUTION_ROLES = ['institution-admin', 'institution-user'] as const satisfies readonly Role[];

const ALL_PERMISSIONS: readonly Permission[] = PERMISSIONS;
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
 * who reviews the log changes nothing it records); the supervisor reads figures, never rows.
 */
export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  'province-operator': new Set(ALL_PERMISSIONS),
  'municipal-admin': new Set(ALL_PERMISSIONS),
  'county-operator': new Set(ALL_PERMISSIONS),
  'institution-admin': new Set<Permission>([
    ...INSTITUTION_USER,
    'catalog:write',
    'datasets:write',
    'shares:decide',
    'open:decide',
    'accounts:manage',
    'projects:declare',
  ]),
  'institution-user': new Set(INSTITUTION_USER),
  auditor: new Set<Permission>(['audit:read', 'self']),
  // Supervision of the subtree (Article 7) from figures: catalog metadata and scores, never a dataset's rows.
  supervisor: new Set<Permission>(['node:read', 'federation:read', 'institutions:read', 'catalog:read', 'supervision:read', 'self']),
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

/** Every permission `permits` grants the principal at this node, sorted: what `GET /api/v1/auth/me` lists. */
export function effectivePermissions(principal: Principal, node: { code: string; level: DivisionLevel }): Permission[] {
  return PERMISSIONS.filter((permission) => permits(principal, permission, node)).sort();
}
