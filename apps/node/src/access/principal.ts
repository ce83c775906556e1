import type { Request } from 'express';
import type { AccountRoleName } from '@tdx/contracts';

/**
 * Who is making a request, as the authentication guard attaches it to the HTTP request
 * (`request.principal`). Accounts are local to a node, so every role is scoped to this node;
 * institution roles are further scoped to one institution.
 */
export type Role = AccountRoleName;

export interface RoleGrant {
  role: Role;
  /** The node the role applies to (this node's division code). */
  node: string;
  /** For institution roles: the institution whose resources the holder manages. */
  institutionId?: string;
}

export type Principal =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      subject: string;
      accountId: string;
      roles: RoleGrant[];
      /** The sign-in (refresh-token family) the access token belongs to; absent for tokens of another issuer (OIDC). */
      signInId?: string;
    };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** The actor name written to the audit log for a principal. */
export function actorOf(principal: Principal | undefined): string {
  return principal?.kind === 'user' ? `user:${principal.subject}` : 'anonymous';
}

/** An HTTP request once the guard has attached who makes it. */
export type RequestWithPrincipal = Request & { principal: Principal };
