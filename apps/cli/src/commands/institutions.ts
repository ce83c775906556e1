import { INSTITUTION_KINDS, type InstitutionView, type Page } from '@tdx/contracts';
import { check, type CommandSpec, pageOptions, queryOf } from '../command';
import { type Context, emit, table } from '../context';

function describe(i: InstitutionView): string[] {
  return [
    `institution  ${i.id}`,
    `name         ${i.name}`,
    `kind         ${i.kind}`,
    `credit code  ${i.creditCode ?? '-'}`,
    `origin       ${i.origin}, version ${i.version}, ${i.status}`,
  ];
}

async function registerCommand(ctx: Context, o: Record<string, string | undefined>): Promise<void> {
  const body = { name: o.name, kind: o.kind, ...(o['credit-code'] ? { creditCode: o['credit-code'] } : {}) };
  const created = await ctx.client.json<InstitutionView>('POST', '/api/v1/institutions', body);
  emit(ctx, created, () => describe(created));
}

async function listCommand(ctx: Context, o: Record<string, string | undefined>): Promise<void> {
  const page = await ctx.client.json<Page<InstitutionView>>(
    'GET',
    `/api/v1/institutions${queryOf(o, { scope: 'scope', origin: 'origin', limit: 'limit', cursor: 'cursor' })}`,
  );
  emit(ctx, page, () => [
    ...(page.items.length === 0
      ? ['no institutions']
      : table(
          ['id', 'name', 'kind', 'credit code', 'origin'],
          page.items.map((i) => [i.id, i.name, i.kind, i.creditCode ?? '', i.origin]),
        )),
    ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
  ]);
}

export const institutionCommands: CommandSpec[] = [
  {
    name: 'institution register',
    args: [],
    options: {
      name: {
        type: 'string',
        required: true,
        value: 'NAME',
        help: "the institution's name (杭州市西湖区市场监督管理局)",
        check: (v) => (/\S/.test(v) ? undefined : '--name must not be blank'),
      },
      kind: {
        type: 'string',
        required: true,
        choices: INSTITUTION_KINDS,
        value: INSTITUTION_KINDS.join('|'),
        help: 'what kind of public institution (Article 3)',
      },
      'credit-code': { type: 'string', value: 'CODE', help: 'its unified social credit code (GB 32100-2015, 18 characters)' },
    },
    summary: 'register a public management or service institution at this node (Article 3)',
    run: (ctx, { o }) => registerCommand(ctx, o),
  },
  {
    name: 'institution list',
    args: [],
    options: {
      scope: { type: 'string', choices: ['local', 'subtree'], value: 'local|subtree', help: 'registered here, or also below (default subtree)' },
      origin: { type: 'string', value: 'CODE', help: "only those registered at this division's node", check: check.division('--origin') },
      ...pageOptions('institutions'),
    },
    summary: 'a page of the institutions this node holds',
    run: (ctx, { o }) => listCommand(ctx, o),
  },
];
