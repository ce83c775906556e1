import type { SessionView } from '@tdx/contracts';
import { NodeClient } from '../client';
import { type Context, emit } from '../context';
import type { CredentialStore } from '../credentials';
import { UsageError } from '../errors';
import { sessionOf, type TokenPair } from '../session';
import type { CommandSpec } from '../command';

/** The account a session is of (`GET /auth/me`). */
export type AccountInfo = SessionView;

/** `tdx login --username NAME`: asks for the password (or reads it from standard input) and keeps the session. */
export async function loginCommand(ctx: Context, store: CredentialStore, username: string, readSecret: (prompt: string) => Promise<string>): Promise<void> {
  const password = await readSecret(`password of ${username} at ${ctx.client.base}: `);
  if (!password) throw new UsageError('no password given (type it at the prompt, or pipe it on standard input)');
  // Without the stored session: a stale one must not stand in the way of a new sign-in.
  const pair = await new NodeClient(ctx.client.base).json<TokenPair>('POST', '/api/v1/auth/login', { username, password });
  store.put(ctx.client.base, { username, ...sessionOf(pair, ctx.now()) });
  const me = await ctx.client.json<AccountInfo>('GET', '/api/v1/auth/me');
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
  const me = await ctx.client.json<AccountInfo>('GET', '/api/v1/auth/me');
  emit(ctx, me, () => [`${me.username} at ${ctx.client.base} (node ${me.node}): ${rolesOf(me)}`]);
}

function rolesOf(me: AccountInfo): string {
  return me.roles.length ? me.roles.map((r) => (r.institutionId ? `${r.role} of institution ${r.institutionId}` : r.role)).join(', ') : 'no role';
}

/** `tdx password`: changes one's own password (current, new and again at prompts without echo). */
export async function passwordCommand(ctx: Context, readSecrets: (prompts: string[]) => Promise<string[]>): Promise<void> {
  const me = await ctx.client.json<AccountInfo>('GET', '/api/v1/auth/me');
  const [current, next, again] = await readSecrets([`current password of ${me.username} at ${ctx.client.base}: `, 'new password: ', 'new password again: ']);
  if (!current || !next) throw new UsageError('no password given (type them at the prompts, or pipe three lines on standard input: current, new, new)');
  if (next !== again) throw new UsageError('the new passwords differ; nothing was changed');
  await ctx.client.json<void>('POST', '/api/v1/auth/password', { currentPassword: current, newPassword: next });
  emit(ctx, { username: me.username, node: me.node, changed: true }, () => [
    `password of ${me.username} at ${ctx.client.base} changed; the account's other sessions have ended`,
  ]);
}

export const authCommands: CommandSpec[] = [
  {
    name: 'login',
    args: [],
    options: { username: { type: 'string', required: true, value: 'NAME', help: 'the account at this node' } },
    summary: 'sign in to the node (password at the prompt, or the first line of standard input) and keep the session',
    run: (ctx, { o, store, readSecret }) => loginCommand(ctx, store, o.username as string, readSecret),
  },
  { name: 'logout', args: [], options: {}, summary: 'end the session at the node and forget it here', run: (ctx, { store }) => logoutCommand(ctx, store) },
  {
    name: 'password',
    args: [],
    options: {},
    summary: 'change your own password (current and new at prompts without echo, or three lines of standard input)',
    run: (ctx, { readSecrets }) => passwordCommand(ctx, readSecrets),
  },
  { name: 'whoami', args: [], options: {}, summary: 'the account and roles this command runs as at the node', run: (ctx) => whoamiCommand(ctx) },
];
