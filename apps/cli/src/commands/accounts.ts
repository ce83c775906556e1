import { ACCOUNT_ROLES, type AccountView, type Page } from '@tdx/contracts';
import { type CommandSpec, isUuid, pageOptions, queryOf, type Run } from '../command';
import { type Context, emit, table } from '../context';
import { OperationFailed, UsageError } from '../errors';

const ROLE = new RegExp(`^(${ACCOUNT_ROLES.join('|')})(?:@([0-9a-f-]{36}))?$`, 'i');

function rolesFault(value: string): string | undefined {
  const bad = value.split(',').find((part) => !ROLE.test(part.trim()));
  return bad === undefined ? undefined : `--roles: "${bad}" is not ROLE or ROLE@INSTITUTION_ID, ROLE one of ${ACCOUNT_ROLES.join(', ')}`;
}

function parseRoles(value: string): { role: string; institutionId?: string }[] {
  return value.split(',').map((part) => {
    const [, role, institutionId] = ROLE.exec(part.trim()) as RegExpExecArray;
    return institutionId ? { role, institutionId } : { role };
  });
}

export function rolesText(roles: AccountView['roles']): string {
  return roles.length ? roles.map((r) => (r.institutionId ? `${r.role}@${r.institutionId}` : r.role)).join(', ') : 'no role';
}

function describe(a: AccountView): string[] {
  return [
    `account   ${a.id}`,
    `username  ${a.username}${a.disabled ? ' (disabled)' : ''}`,
    `roles     ${rolesText(a.roles)}`,
    `created   ${a.createdAt} by ${a.createdBy}; updated ${a.updatedAt}`,
  ];
}

/** Pages of 500 read at most when looking a user name up. */
const MAX_PAGES = 20;

/** An account by UUID or by user name (looked up in this node's account list first). */
async function resolveAccount(ctx: Context, value: string): Promise<string> {
  if (isUuid(value)) return value;
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer: Page<AccountView> = await ctx.client.json<Page<AccountView>>(
      'GET',
      `/api/v1/accounts?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    const found = answer.items.find((a) => a.username === value);
    if (found) return found.id;
    cursor = answer.nextCursor;
    if (!cursor) break;
  }
  throw new OperationFailed(`no account named "${value}" that you manage at ${ctx.client.base}`);
}

async function newPassword(run: Run, username: string, base: string): Promise<string> {
  const [password, again] = await run.readSecrets([`new password of ${username} at ${base}: `, 'again: ']);
  if (!password) throw new UsageError('no password given (type it at the prompt, or pipe it twice on standard input)');
  if (password !== again) throw new UsageError('the two passwords differ; nothing was changed');
  return password;
}

async function createCommand(ctx: Context, run: Run): Promise<void> {
  const { o } = run;
  const password = await newPassword(run, o.username as string, ctx.client.base);
  const created = await ctx.client.json<AccountView>('POST', '/api/v1/accounts', { username: o.username, password, roles: parseRoles(o.roles as string) });
  emit(ctx, created, () => describe(created));
}

async function listCommand(ctx: Context, o: Record<string, string | undefined>): Promise<void> {
  const page = await ctx.client.json<Page<AccountView>>('GET', `/api/v1/accounts${queryOf(o, { limit: 'limit', cursor: 'cursor' })}`);
  emit(ctx, page, () => [
    ...(page.items.length === 0
      ? ['no accounts']
      : table(
          ['id', 'username', 'state', 'roles', 'created'],
          page.items.map((a) => [a.id, a.username, a.disabled ? 'disabled' : 'enabled', rolesText(a.roles), a.createdAt]),
        )),
    ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
  ]);
}

/** Resolves the account first, then asks for the body (a password prompt comes only for an account that exists). */
async function accountCall(ctx: Context, account: string, method: string, suffix: string, body?: () => Promise<unknown> | unknown): Promise<void> {
  const id = await resolveAccount(ctx, account);
  const answer = await ctx.client.json<AccountView>(method, `/api/v1/accounts/${id}${suffix}`, await body?.());
  emit(ctx, answer, () => describe(answer));
}

const ACCOUNT = { name: 'ACCOUNT', help: "the account's UUID or user name" };
const ROLES_OPTION = {
  type: 'string' as const,
  required: true,
  value: 'ROLE[@INSTITUTION],...',
  help: 'province-operator, municipal-admin, county-operator, auditor; institution-admin and institution-user with @INSTITUTION_ID',
  check: rolesFault,
};

export const accountCommands: CommandSpec[] = [
  {
    name: 'account create',
    args: [],
    options: {
      username: {
        type: 'string',
        required: true,
        value: 'NAME',
        help: '3 to 64 of a-z 0-9 . _ -',
        check: (v) => (/^[a-z0-9][a-z0-9._-]{2,63}$/.test(v) ? undefined : '--username must be 3 to 64 of a-z 0-9 . _ -, starting with a letter or digit'),
      },
      roles: ROLES_OPTION,
    },
    summary: 'create an account at this node (its password at the prompt, twice, or two lines of standard input)',
    run: (ctx, run) => createCommand(ctx, run),
  },
  {
    name: 'account list',
    args: [],
    options: pageOptions('accounts'),
    summary: 'a page of the accounts you manage at this node',
    run: (ctx, { o }) => listCommand(ctx, o),
  },
  {
    name: 'account show',
    args: [ACCOUNT],
    options: {},
    summary: 'one account and its roles',
    run: (ctx, { inv }) => accountCall(ctx, inv.args.ACCOUNT, 'GET', ''),
  },
  {
    name: 'account disable',
    args: [ACCOUNT],
    options: {},
    summary: 'disable an account (its sessions end at once)',
    run: (ctx, { inv }) => accountCall(ctx, inv.args.ACCOUNT, 'POST', '/disable'),
  },
  {
    name: 'account enable',
    args: [ACCOUNT],
    options: {},
    summary: 'enable a disabled account',
    run: (ctx, { inv }) => accountCall(ctx, inv.args.ACCOUNT, 'POST', '/enable'),
  },
  {
    name: 'account password',
    args: [ACCOUNT],
    options: {},
    summary: "set another account's password (at the prompt, twice); its sessions end",
    run: (ctx, run) =>
      accountCall(ctx, run.inv.args.ACCOUNT, 'POST', '/password', async () => ({ password: await newPassword(run, run.inv.args.ACCOUNT, ctx.client.base) })),
  },
  {
    name: 'account roles',
    args: [ACCOUNT],
    options: { roles: ROLES_OPTION },
    summary: "replace an account's roles",
    run: (ctx, { inv, o }) => accountCall(ctx, inv.args.ACCOUNT, 'PUT', '/roles', () => ({ roles: parseRoles(o.roles as string) })),
  },
];
