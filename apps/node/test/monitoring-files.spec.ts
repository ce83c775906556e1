import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { api, deleteNamespaceStreams, SHARED_NATS_URL, testNamespace } from '@tdx/testing';
import { inProcessFederation, RunningNode } from './support/nodes';

/**
 * The alert rules (deploy/prometheus/alerts.yml) and the Grafana dashboard (deploy/grafana/tdx-node.json)
 * name only metrics that real nodes export: a province and a city (which has a parent, so every
 * family) are started and scraped, and every metric name in every expression is looked up in
 * what they answered. A rule on a renamed or removed metric would otherwise never fire.
 */
const DEPLOY = resolve(__dirname, '../../../deploy');
// Series Prometheus makes itself for each scrape, not exported by the node.
const PROMETHEUS_OWN = new Set(['up']);
const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'inf', 'nan']);

/** The metric names a PromQL expression selects: identifiers that are not functions, keywords, label names or inside strings. */
function metricNames(expression: string): string[] {
  const bare = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = [...bare.matchAll(/(?<![\w$])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((match) => match[1]);
  return [...new Set(names.filter((name) => !PROMQL_WORDS.has(name.toLowerCase())))];
}

function ruleExpressions(): string[] {
  const rules = parse(readFileSync(join(DEPLOY, 'prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr));
}

function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana/tdx-node.json'), 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
    templating: { list: { query?: unknown }[] };
  };
  const panels = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
  // A variable's `label_values(metric, label)`: the metric is its first argument.
  const variables = dashboard.templating.list.flatMap((variable) => {
    const query = typeof variable.query === 'object' && variable.query !== null ? (variable.query as { query?: string }).query : undefined;
    const match = query ? /label_values\(\s*([^,\s)]+)/.exec(query) : null;
    return match ? [match[1]] : [];
  });
  return [...panels, ...variables];
}

describe('monitoring files', () => {
  it('reads metric names out of PromQL, leaving functions, keywords, labels and strings aside', () => {
    expect(metricNames('sum by (instance, reason) (increase(tdx_a_total{reason="x y",instance=~"$instance"}[15m])) > 10')).toEqual(['tdx_a_total']);
    expect(metricNames('tdx_b - time() < 6 * 3600 and on (instance) up{job="tdx-node"} == 0')).toEqual(['tdx_b', 'up']);
    expect(metricNames('deriv(tdx_c[15m]) > 0 and tdx_d offset 10m > 1000')).toEqual(['tdx_c', 'tdx_d']);
  });

  describe('against real nodes', () => {
    const namespace = testNamespace();
    const federation = inProcessFederation(namespace, 'ops15_monitoring', mkdtempSync(join(tmpdir(), 'tdx-monitoring-')));
    let exported: Set<string>;

    beforeAll(async () => {
      await federation.start('330000', undefined, {});
      await federation.start('330100', '330000', {});
      exported = new Set();
      for (const node of federation.running.values()) {
        const { status, body } = await api((node as RunningNode).url, 'GET', '/metrics');
        expect(status).toBe(200);
        for (const [, name, type] of String(body).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
          exported.add(name);
          // A histogram or summary is queried through its series' suffixes.
          if (type === 'histogram' || type === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${name}${suffix}`);
        }
      }
    }, 90_000);

    afterAll(async () => {
      for (const node of [...federation.running.values()].reverse()) await node.stop().catch(() => undefined);
      for (const db of federation.databases.values()) await db.drop();
      await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    });

    it.each([
      ['alert rules', ruleExpressions],
      ['dashboard', dashboardExpressions],
    ])('the %s name only metrics the nodes export', (_label, expressions) => {
      const all = expressions();
      expect(all.length).toBeGreaterThan(15);
      const unknown = all.flatMap((expression) =>
        metricNames(expression)
          .filter((name) => !exported.has(name) && !PROMETHEUS_OWN.has(name))
          .map((name) => `${name} in ${expression}`),
      );
      expect(unknown).toEqual([]);
      // Each expression watches the node itself, not only Prometheus's own series.
      expect(all.filter((expression) => !metricNames(expression).some((name) => name.startsWith('tdx_')) && !metricNames(expression).includes('up'))).toEqual(
        [],
      );
    });

    it('covers what operators must watch: link lag and backlog, rejections, trust-list expiry, returns, channel and sharing', () => {
      const named = new Set([...ruleExpressions(), ...dashboardExpressions()].flatMap(metricNames));
      for (const metric of [
        'tdx_replication_lag_seconds',
        'tdx_child_link_pending',
        'tdx_outbox_backlog',
        'tdx_replication_records_total',
        'tdx_channel_messages_rejected_total',
        'tdx_trust_list_expiry_timestamp_seconds',
        'tdx_return_jobs_backing_off',
        'tdx_return_job_failures_total',
        'tdx_channel_outbox_oldest_seconds',
        'tdx_share_requests_overdue',
      ]) {
        expect(named).toContain(metric);
      }
    });
  });
});
