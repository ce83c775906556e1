import { SUPERVISION_TOPICS, type AccessAlertListView, type AccessRollupView, type AccessRunView, type Page, type SupervisionStateView } from '@tdx/contracts';
import { check, pageOptions, queryOf, type CommandSpec } from '../command';
import { type Context, emit, table } from '../context';

/** The supervision states a node holds (`tdx supervision states`) and its access figures (`tdx supervision access|alerts|access-run`). */

const cell = (v: string | number | null | undefined) => (v === null || v === undefined ? '-' : String(v));

async function statesCommand(ctx: Context, o: Record<string, string | undefined>): Promise<void> {
  const query = queryOf(o, { topic: 'topic', within: 'within', key: 'key', limit: 'limit', cursor: 'after' });
  const page = await ctx.client.json<Page<SupervisionStateView>>('GET', `/api/v1/supervision/states${query}`);
  emit(ctx, page, () => [
    ...(page.items.length === 0
      ? ['no states']
      : table(
          ['origin', 'topic', 'key', 'version', 'computed at', 'received at', 'data'],
          page.items.map((s) => [s.origin, s.topic, s.key, String(s.version), s.computedAt, s.receivedAt, JSON.stringify(s.data).slice(0, 60)]),
        )),
    ...(page.nextCursor ? [`more: --cursor ${page.nextCursor}`] : []),
  ]);
}

async function accessCommand(ctx: Context, o: Record<string, string | undefined>): Promise<void> {
  const r = await ctx.client.json<AccessRollupView>('GET', `/api/v1/supervision/access${queryOf(o, { within: 'within' })}`);
  const t = r.totals;
  emit(ctx, r, () => [
    `access figures within ${r.within} at ${r.node}: ${t.nodes} nodes reporting`,
    `totals  returns ${t.returns}, share queries ${t.shareQueries}, deliveries ${t.shareDeliveries}, rows ${t.rows}; refused ${t.refused}; decided ${t.answered}, overdue ${t.overdue}; grants expiring ${t.grantsExpiringSoon}; security events ${t.securityEvents}; alerts ${t.alerts}`,
    ...table(
      ['node', 'period', 'returns', 'queries', 'deliveries', 'rows', 'refused', 'overdue', 'median h', 'expiring', 'security', 'alerts'],
      r.nodes.map((n) => {
        const d = n.data;
        return [
          n.origin,
          `${d.period.from.slice(0, 10)}..${d.period.to.slice(0, 10)}`,
          String(d.volumes.returns),
          String(d.volumes.shareQueries),
          String(d.volumes.shareDeliveries),
          String(d.volumes.rows),
          String(d.refused),
          String(d.decisions.overdue),
          cell(d.decisions.medianHoursToDecide),
          String(d.grantsExpiringSoon),
          String(d.securityEvents),
          String(d.alerts.length),
        ];
      }),
    ),
  ]);
}

async function alertsCommand(ctx: Context, o: Record<string, string | undefined>): Promise<void> {
  const a = await ctx.client.json<AccessAlertListView>('GET', `/api/v1/supervision/alerts${queryOf(o, { within: 'within' })}`);
  emit(ctx, a, () =>
    a.items.length === 0
      ? [`no alerts within ${a.within}`]
      : table(
          ['node', 'kind', 'subject', 'message'],
          a.items.map((x) => [x.origin, x.kind, x.subject, x.message]),
        ),
  );
}

async function runCommand(ctx: Context): Promise<void> {
  const r = await ctx.client.json<AccessRunView>('POST', '/api/v1/supervision/access/run');
  emit(ctx, r, () => [
    `${r.outcome === 'published' ? 'published' : 'unchanged, not published again'}: version ${r.version}, period ${r.data.period.from} to ${r.data.period.to}`,
    `rows ${r.data.volumes.rows}, refused ${r.data.refused}, overdue ${r.data.decisions.overdue}, alerts ${r.data.alerts.length}`,
  ]);
}

const WITHIN = {
  type: 'string' as const,
  value: 'CODE',
  help: "a division inside this node's jurisdiction (default: the node's own)",
  check: check.division('--within'),
};

export const supervisionStateCommands: CommandSpec[] = [
  {
    name: 'supervision states',
    args: [],
    options: {
      topic: { type: 'string', required: true, choices: SUPERVISION_TOPICS, value: 'TOPIC', help: 'the topic of the figures' },
      within: WITHIN,
      key: { type: 'string', value: 'PREFIX', help: 'states whose key starts with this (node, institution:)' },
      ...pageOptions('states'),
    },
    summary: "supervision states held here (this node's and its subtree's), newest version each, signed by their origin",
    run: (ctx, { o }) => statesCommand(ctx, o),
  },
  {
    name: 'supervision access',
    args: [],
    options: { within: WITHIN },
    summary: 'access figures (Article 7) of this node and its subtree: volumes, refusals, decisions, expiring grants, alerts',
    run: (ctx, { o }) => accessCommand(ctx, o),
  },
  {
    name: 'supervision alerts',
    args: [],
    options: { within: WITHIN },
    summary: 'the current access alerts of this node and its subtree',
    run: (ctx, { o }) => alertsCommand(ctx, o),
  },
  {
    name: 'supervision access-run',
    args: [],
    options: {},
    summary: "compute this node's access figures now and publish them up the tree",
    run: (ctx) => runCommand(ctx),
  },
];
