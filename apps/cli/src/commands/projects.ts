import { readFileSync } from 'node:fs';
import { PROJECT_STAGES, PROJECT_STATUSES, type Page, type ProjectReviewView, type ProjectView } from '@tdx/contracts';
import { check, type CommandSpec, pageOptions, queryOf } from '../command';
import { type Context, emit, table } from '../context';
import { UsageError } from '../errors';

/** The declaration in --file: one JSON object, sent as it is (the node names every missing or bad part). */
function declarationOf(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UsageError(`${file} must hold one JSON object (the project's declaration)`);
  return body as Record<string, unknown>;
}

function describeProject(p: ProjectView): string[] {
  return [
    `project      ${p.id}`,
    `name         ${p.name}`,
    `institution  ${p.institutionName} (${p.institutionId})`,
    `funds        ${p.funds.amountYuan} yuan, ${p.funds.source}`,
    `status       ${p.status}, declaration version ${p.declarationVersion}, at ${p.origin}`,
    `declares     ${p.systems.length} systems, ${p.networks.length} networks, ${p.dataItems.length} data items, ${p.resources.length} resources`,
    ...p.reviews.flatMap((r) => describeReview(r)),
  ];
}

function describeReview(r: ProjectReviewView): string[] {
  return [
    `review       ${r.stage}: ${r.decision} (${r.decidedAt}, ${r.decidedBy}, declaration version ${r.declarationVersion})`,
    ...r.clauses.map((c) => `  (${c.clause}) ${c.outcome}  ${c.reason}`),
  ];
}

export const projectCommands: CommandSpec[] = [
  {
    name: 'projects declare',
    args: [],
    options: { file: { type: 'string', required: true, value: 'FILE', help: 'the declaration as JSON (docs/projects.md shows one)' } },
    summary: 'declare a digital project of an institution of this node (Article 12)',
    run: async (ctx: Context, { o }) => {
      const created = await ctx.client.json<ProjectView>('POST', '/api/v1/projects', declarationOf(o.file as string));
      emit(ctx, created, () => describeProject(created));
    },
  },
  {
    name: 'projects review',
    args: [{ name: 'ID', help: 'the project', check: check.uuid('ID') }],
    options: {
      stage: { type: 'string', required: true, choices: PROJECT_STAGES, value: PROJECT_STAGES.join('|'), help: 'the stage to decide (in this order)' },
    },
    summary: "decide a project's stage: a pass or fail per clause of Article 12, approved only if all pass",
    run: async (ctx, { inv, o }) => {
      const review = await ctx.client.json<ProjectReviewView>('POST', `/api/v1/projects/${inv.args.ID}/reviews`, { stage: o.stage });
      emit(ctx, review, () => describeReview(review));
    },
  },
  {
    name: 'projects show',
    args: [{ name: 'ID', help: 'the project', check: check.uuid('ID') }],
    options: {},
    summary: 'a project, its declaration and every review',
    run: async (ctx, { inv }) => {
      const project = await ctx.client.json<ProjectView>('GET', `/api/v1/projects/${inv.args.ID}`);
      emit(ctx, project, () => describeProject(project));
    },
  },
  {
    name: 'projects list',
    args: [],
    options: {
      status: { type: 'string', choices: PROJECT_STATUSES, value: PROJECT_STATUSES.join('|'), help: 'only projects where their review stands so' },
      institution: { type: 'string', value: 'UUID', help: "only this institution's projects", check: check.uuid('--institution') },
      ...pageOptions('projects'),
    },
    summary: 'a page of the projects declared at this node',
    run: async (ctx, { o }) => {
      const page = await ctx.client.json<Page<ProjectView>>(
        'GET',
        `/api/v1/projects${queryOf(o, { status: 'status', institution: 'institutionId', limit: 'limit', cursor: 'cursor' })}`,
      );
      emit(ctx, page, () => [
        ...(page.items.length === 0
          ? ['no projects']
          : table(
              ['id', 'name', 'institution', 'yuan', 'status'],
              page.items.map((p) => [p.id, p.name, p.institutionName, String(p.funds.amountYuan), p.status]),
            )),
        ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
      ]);
    },
  },
];
