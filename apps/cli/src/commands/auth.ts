import type { SessionView, TokenPairView } from '@tdx/contracts';
import { NodeClient } from '../client';
import { type Context, emit } from '../context';
import type { CredentialStore } from '../credentials';
import { UsageError } from '../errors';
import { sessionOf } from '../session';

/** `tdx login --username NAME`: asks for the password (or reads it from standard input) and keeps the session. */
export async function loginCommand(ctx: Context, store: CredentialStore, username: string, readSecret: (prompt: string) => Promise<string>): Promise<void> {
  const password = await readSecret(`password of ${username} at ${ctx.client.base}: `);
  if (!password) throw new UsageError('no password given (type it at the prompt, or pipe it on standard input)');
  // Without the stored session: a stale one must not stand in the way of a new sign-in.
  const pair = await new NodeClient(ctx.client.base).json<TokenPairView>('POST', '/api/v1/auth/login', { username, password });
  store.put(ctx.client.base, { username, ...sessionOf(pair, ctx.now()) });
  const me = await ctx.client.json<SessionView>('GET', '/api/v1/auth/me');
  emit(ctx, { username: me.username, node: me.node, roles: me.roles, credentials: store.path }, () => [
    `signed in to ${ctx.client.base} (node ${me.node}) as ${me.username}: ${rolesOf(me)}`,
    `session kept in ${store.path} (readable by you only)`,
  ]);
}

/** `tdx logout`: ends the session at the node and forgets it here. */
export async function logoutCommand(ctx: Context, store: CredentialStore): Promise<void> {
  const stored = store.get(ctx.client.base);
  if (stored) {
    // Forget it here even when the node cannot be told: the tokens then simply expire.
    store.remove(ctx.client.base);
    await new NodeClient(ctx.client.base).json('POST', '/api/v1/auth/logout', { refreshToken: stored.refreshToken });
  }
  emit(ctx, { signedOut: stored !== undefined }, () => [stored ? `signed out of ${ctx.client.base}` : `not signed in to ${ctx.client.base}`]);
}

/** `tdx whoami`: the account the command runs as at this node. */
export async function whoamiCommand(ctx: Context): Promise<void> {
  const me = await ctx.client.json<SessionView>('GET', '/api/v1/auth/me');
  emit(ctx, me, () => [`${me.username} at ${ctx.client.base} (node ${me.node}): ${rolesOf(me)}`]);
}

function rolesOf(me: SessionView): string {
  return me.roles.length ? me.roles.map((r) => (r.institutionId ? `${r.role} of institution ${r.institutionId}` : r.role)).join(', ') : 'no role';
}
