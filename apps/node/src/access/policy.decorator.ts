import { SetMetadata } from '@nestjs/common';
import type { Permission } from './permissions';

export const POLICY_KEY = 'tdx:policy';

export type RoutePolicy = { kind: 'public' } | { kind: 'permission'; permission: Permission };

/**
 * The permission a route handler needs. Every handler declares @Policy or @Public: the lint rule
 * `tdx/route-policy` fails the build otherwise, and the guard refuses a handler without one.
 */
export const Policy = (permission: Permission) => SetMetadata<string, RoutePolicy>(POLICY_KEY, { kind: 'permission', permission });

/** Reachable without signing in: open data, sign-in itself, health checks for load balancers. */
export const Public = () => SetMetadata<string, RoutePolicy>(POLICY_KEY, { kind: 'public' });
