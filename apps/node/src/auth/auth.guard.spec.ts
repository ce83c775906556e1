import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import type { RequestWithPrincipal } from '../access/principal';
import { Policy, Public } from '../access/policy.decorator';
import type { Principal } from '../access/principal';
import type { NodeRuntimeConfig } from '../config/node-config';

class Handlers {
  @Policy('catalog:write')
  write() {}

  @Public()
  open() {}

  undeclared() {}
}

const config = {
  code: '330000',
  level: 'province',
  auth: { accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 3600, metricsToken: 'm'.repeat(40) },
} as unknown as NodeRuntimeConfig;
const users: Record<string, Principal> = {
  operator: { kind: 'user', subject: 'admin', accountId: 'a1', roles: [{ role: 'province-operator', node: '330000' }] },
  foreignOperator: { kind: 'user', subject: 'x', accountId: 'a2', roles: [{ role: 'municipal-admin', node: '330000' }] },
  auditor: { kind: 'user', subject: 'au', accountId: 'a3', roles: [{ role: 'auditor', node: '330000' }] },
};
const guard = new AuthGuard(new Reflector(), config, { principalFor: async (bearer) => users[bearer] });

function context(handler: keyof Handlers, authorization?: string): { ctx: ExecutionContext; request: RequestWithPrincipal } {
  const request = { headers: authorization ? { authorization } : {} } as RequestWithPrincipal;
  const response = { setHeader: () => undefined };
  const ctx = {
    getType: () => 'http',
    getHandler: () => Handlers.prototype[handler],
    getClass: () => Handlers,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
  return { ctx, request };
}

describe('AuthGuard', () => {
  it('fails closed: a handler without a declared policy is refused, even for the operator', async () => {
    await expect(guard.canActivate(context('undeclared', 'Bearer operator').ctx)).rejects.toMatchObject({ status: 403 });
    await expect(guard.canActivate(context('undeclared').ctx)).rejects.toMatchObject({ status: 403 });
  });

  it('public handlers pass anyone and still attach a valid principal', async () => {
    const anonymous = context('open');
    await expect(guard.canActivate(anonymous.ctx)).resolves.toBe(true);
    expect(anonymous.request.principal).toEqual({ kind: 'anonymous' });
    const known = context('open', 'Bearer operator');
    await guard.canActivate(known.ctx);
    expect(known.request.principal).toBe(users.operator);
  });

  it('a permission: 401 without a valid token, 403 for a role without it, and an operator role of another tier counts for nothing', async () => {
    await expect(guard.canActivate(context('write').ctx)).rejects.toMatchObject({ status: 401 });
    await expect(guard.canActivate(context('write', 'Bearer nobody').ctx)).rejects.toMatchObject({ status: 401 });
    await expect(guard.canActivate(context('write', 'Bearer auditor').ctx)).rejects.toMatchObject({ status: 403 });
    await expect(guard.canActivate(context('write', 'Bearer foreignOperator').ctx)).rejects.toMatchObject({ status: 403 });
    const ok = context('write', 'Bearer operator');
    await expect(guard.canActivate(ok.ctx)).resolves.toBe(true);
    expect(ok.request.principal).toBe(users.operator);
  });
});
