import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { ApiRefusals } from '../common/api-docs';
import type { Permission } from './permissions';

export const POLICY_KEY = 'tdx:policy';

export type RoutePolicy = { kind: 'public' } | { kind: 'permission'; permission: Permission };

/**
 * The permission a route handler needs. Every handler declares @Policy or @Public: the lint rule
 * `tdx/route-policy` fails the build otherwise, and the guard refuses a handler without one. The
 * OpenAPI document learns from it that the route takes a bearer token and may answer 401 and 403.
 */
export const Policy = (permission: Permission) =>
  applyDecorators(
    SetMetadata<string, RoutePolicy>(POLICY_KEY, { kind: 'permission', permission }),
    ApiBearerAuth(),
    ApiRefusals('unauthenticated', 'forbidden'),
  );

/**
 * Reachable without signing in: open data, sign-in itself, health checks for load balancers. In
 * the OpenAPI document an empty security requirement: no token needed.
 */
export const Public = () => applyDecorators(SetMetadata<string, RoutePolicy>(POLICY_KEY, { kind: 'public' }), ApiSecurity({}));
