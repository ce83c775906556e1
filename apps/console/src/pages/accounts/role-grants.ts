import type { Schemas } from '../../api/client';

export type Role = Schemas['RoleGrantDto']['role'];
export type RoleGrant = Schemas['RoleGrantDto'];

export const ROLES: Role[] = ['province-operator', 'municipal-admin', 'county-operator', 'institution-admin', 'institution-user', 'auditor', 'supervisor'];

/** The roles tied to one institution (the API asks for its id with them). */
export function needsInstitution(role: Role): boolean {
  return role === 'institution-admin' || role === 'institution-user';
}

/** The grant the API expects: an institution only for the roles that have one. */
export function grantOf(role: Role, institutionId: string): RoleGrant {
  return needsInstitution(role) && institutionId ? { role, institutionId } : { role };
}

/**
 * The API names array fields `roles.0.institutionId`; the forms have one role and one institution
 * input, so such paths fold onto them.
 */
export function accountFieldOf(path: string): string {
  const match = /^roles\.\d+\.(role|institutionId)$/.exec(path);
  if (match) return match[1] === 'role' ? 'role' : 'institutionId';
  return path;
}
