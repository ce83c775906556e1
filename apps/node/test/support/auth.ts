import type { INestApplication } from '@nestjs/common';
import { api, login } from '@tdx/testing';

/** Every route the running Nest application serves, as "METHOD /path" (from Express's router). */
export function routesOf(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router?: { stack: Layer[] }; _router?: { stack: Layer[] } };
  const stack = (express.router ?? express._router)?.stack ?? [];
  // A route layer may hold several paths (middleware mounted on a list of paths): one entry each.
  const routes = stack.flatMap((layer) => {
    const route = layer.route;
    if (!route) return [];
    const paths = Array.isArray(route.path) ? route.path : [route.path];
    return Object.keys(route.methods)
      .filter((m) => m !== '_all')
      .flatMap((m) => paths.map((path) => `${m.toUpperCase()} ${path}`));
  });
  return [...new Set(routes)].sort();
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** Creates an account at `base` (as its admin) and signs in as it; returns its id and access token. */
export async function accountWith(
  base: string,
  username: string,
  roles: { role: string; institutionId?: string }[],
): Promise<{ id: string; token: string; refreshToken: string }> {
  const password = `Pw-${username.length}-Secret-9`;
  const created = await api(base, 'POST', '/api/v1/accounts', { username, password, roles });
  if (created.status !== 201) throw new Error(`creating account ${username} answered ${created.status}: ${JSON.stringify(created.body)}`);
  const tokens = await login(base, username, password);
  return { id: created.body.id, token: tokens.accessToken, refreshToken: tokens.refreshToken };
}
