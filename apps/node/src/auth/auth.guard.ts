import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { NotAllowedError, NotSignedInError } from '../access/access-errors';
import { effectiveGrants, permits } from '../access/permissions';
import { POLICY_KEY, RoutePolicy } from '../access/policy.decorator';
import { ANONYMOUS, RequestWithPrincipal } from '../access/principal';
import { ACCESS_TOKEN_VERIFIER, AccessTokenVerifier } from './session-tokens';

/**
 * The one gate of every HTTP route (registered as APP_GUARD). It attaches `request.principal`
 * (anonymous, or the signed-in account) and enforces the route's declared policy. A route
 * without a policy is refused: the build catches it first (lint rule tdx/route-policy), this
 * fails closed should one slip through.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly reflector: Reflector,
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    @Inject(ACCESS_TOKEN_VERIFIER) private readonly verifier: AccessTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return false;
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    request.principal = ANONYMOUS;
    const policy = this.reflector.get<RoutePolicy | undefined>(POLICY_KEY, context.getHandler());
    if (!policy) {
      this.logger.error(`${context.getClass().name}.${context.getHandler().name} declares no policy: refused`);
      throw new NotAllowedError('this endpoint declares no access policy and is refused');
    }
    const bearer = bearerOf(request);
    if (policy.kind === 'public') {
      // A token is optional here; a valid one still tells who asks (for the audit log).
      request.principal = (bearer && (await this.verifier.principalFor(bearer))) || ANONYMOUS;
      return true;
    }
    if (policy.permission === 'metrics:read' && bearer && this.isMetricsToken(bearer)) return true;
    if (!bearer) return this.unauthenticated(context, 'sign in first: this endpoint needs an access token (Authorization: Bearer ...)');
    const principal = await this.verifier.principalFor(bearer);
    if (!principal) return this.unauthenticated(context, 'the access token is invalid or has expired: refresh it or sign in again');
    request.principal = principal;
    if (!permits(principal, policy.permission, this.config)) {
      const roles = effectiveGrants(principal, this.config).map((g) => g.role);
      throw new NotAllowedError(`${roles.length ? `role ${roles.join(', ')}` : 'an account without a role'} may not do this (needs ${policy.permission})`);
    }
    return true;
  }

  private unauthenticated(context: ExecutionContext, message: string): never {
    context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="tdx"');
    throw new NotSignedInError(message);
  }

  private isMetricsToken(bearer: string): boolean {
    const expected = this.config.auth.metricsToken;
    if (!expected) return false;
    const [a, b] = [Buffer.from(bearer), Buffer.from(expected)];
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

function bearerOf(request: Request): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
  return match?.[1];
}
