#!/usr/bin/env node
// `npm run bench:scorecard`: the province's annual scorecard (Article 5) for all 102 divisions of
// Zhejiang, over HTTP from a started province node (the built service). Target: under 10 s.
//
// The province's database is filled straight with SQL, in the stored form of what its subtree
// would have replicated to it: N catalog entries (default 100,000) spread over the 102 divisions
// as their origins, and a quality and an access supervision state (key `node`) for each division.
// Loading is not what is measured (registration and replication have their own benchmarks).
//
// Measured: the scorecard (GET /api/v1/supervision/assessment?year=Y), its CSV export and one
// division's detail, each the median of --runs requests after one warm-up; and beside them, in the
// same run, a baseline: a plain `SELECT count(*)` of catalog_entry and of supervision_state over a
// direct connection. The ratio scorecard / baseline survives a noisy machine.
//
//   --entries N   catalog entries (default 100000)
//   --runs R      timed requests per figure (default 5)
//
// The last line printed is one JSON object with the figures.
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { accessToken, createTestDatabase, deleteNamespaceStreams, NodeProcess, SHARED_NATS_URL, testNamespace } from '@tdx/testing';
import { ZHEJIANG_DIVISIONS } from '@tdx/divisions';
import { parseOptions } from './lib/options.mjs';

const options = parseOptions(process.argv.slice(2), { entries: 100_000, runs: 5 }, { positive: ['entries', 'runs'] });
const TARGET_SECONDS = 10;
const YEAR = new Date().getUTCFullYear();
const log = (m = '') => process.stdout.write(`${m}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const divisions = [...ZHEJIANG_DIVISIONS.values()].filter((d) => d.code.startsWith('33')).map((d) => d.code);

async function load(client) {
  const started = performance.now();
  // Entries: origin by round robin over the divisions; a spread of grades, open types and missing fields.
  await client.query(
    `INSERT INTO catalog_entry (id, origin, code, type, name, summary, provider_id, category, grade, share_type, open_type, update_cycle,
       format, region_scope, data_items, related_resources, release_date, status, version, created_at, updated_at)
     SELECT gen_random_uuid(), o.code, 'B-' || i, CASE WHEN i % 10 = 0 THEN 'application' ELSE 'data' END, '数据资源 ' || (i % 5000), 'summary', gen_random_uuid(),
       'bench', (ARRAY['L1','L2','L3','L4'])[1 + i % 4], 'unconditional',
       CASE WHEN i % 4 = 3 THEN 'prohibited' WHEN i % 3 = 0 THEN 'prohibited' WHEN i % 4 = 0 THEN 'unconditional' ELSE 'restricted' END, 'daily',
       CASE WHEN i % 7 = 0 THEN NULL ELSE 'csv' END, o.code, '[{"name":"a","type":"string","sensitive":false}]', '[]',
       CASE WHEN i % 11 = 0 THEN NULL ELSE date '2020-01-01' END, CASE WHEN i % 50 = 0 THEN 'retired' ELSE 'active' END, 1, now(), now()
     FROM generate_series(1, $1::int) AS i JOIN unnest($2::text[]) WITH ORDINALITY AS o (code, n) ON o.n = 1 + i % $3`,
    [options.entries, divisions, divisions.length],
  );
  for (const [topic, data] of [
    ['quality', (i) => ({ score: 60 + (i % 40), dimensions: { timeliness: i % 5 === 0 ? null : 50 + (i % 50) } })],
    ['access', (i) => ({ decisions: { answered: 10 + i, overdue: i % 7, medianHoursToDecide: 4 }, refused: i % 3, securityEvents: i % 4 })],
  ]) {
    // Stored as the federation applies a child's signed state; the signature is not re-checked by the scorecard.
    await client.query(
      `INSERT INTO supervision_state (origin, topic, key, version, computed_at, data, payload, sig)
       SELECT code, $1, 'node', 1, now(), d::jsonb, 'bench', 'bench' FROM unnest($2::text[], $3::text[]) AS s (code, d)`,
      [topic, divisions, divisions.map((_, i) => JSON.stringify(data(i)))],
    );
  }
  await client.query('ANALYZE catalog_entry');
  await client.query('ANALYZE supervision_state');
  return (performance.now() - started) / 1000;
}

async function timed(runs, action) {
  await action();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await action();
    times.push(performance.now() - t);
  }
  return median(times);
}

async function main() {
  const namespace = testNamespace();
  const db = await createTestDatabase('bench_scorecard');
  const node = await NodeProcess.start({ code: '330000', databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    log(`loading ${options.entries} entries and ${divisions.length * 2} states over ${divisions.length} divisions`);
    const loadSeconds = await load(client);
    const headers = { authorization: `Bearer ${await accessToken(node.url)}` };
    const get = async (path) => {
      const response = await fetch(`${node.url}${path}`, { headers });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text.slice(0, 300)}`);
      return text;
    };
    const card = JSON.parse(await get(`/api/v1/supervision/assessment?year=${YEAR}`));
    const scorecardMs = await timed(options.runs, () => get(`/api/v1/supervision/assessment?year=${YEAR}`));
    const csvMs = await timed(options.runs, () => get(`/api/v1/supervision/assessment/export.csv?year=${YEAR}`));
    const detailMs = await timed(options.runs, () => get(`/api/v1/supervision/assessment/330106?year=${YEAR}`));
    const baselineMs = await timed(options.runs, async () => {
      await client.query('SELECT count(*) FROM catalog_entry');
      await client.query('SELECT count(*) FROM supervision_state');
    });
    const result = {
      entries: options.entries,
      divisions: card.divisions.length,
      evidenced: card.divisions.filter((d) => d.evidenced === 6).length,
      loadSeconds: Number(loadSeconds.toFixed(1)),
      scorecardMs: Number(scorecardMs.toFixed(1)),
      csvMs: Number(csvMs.toFixed(1)),
      detailMs: Number(detailMs.toFixed(1)),
      baselineMs: Number(baselineMs.toFixed(1)),
      ratio: Number((scorecardMs / baselineMs).toFixed(2)),
      targetSeconds: TARGET_SECONDS,
      withinTarget: scorecardMs / 1000 < TARGET_SECONDS,
    };
    log(`scorecard of ${result.divisions} divisions (${result.evidenced} with all six figures): ${result.scorecardMs} ms (median of ${options.runs})`);
    log(`CSV export: ${result.csvMs} ms; one division's detail: ${result.detailMs} ms`);
    log(`baseline SELECT count(*) of catalog_entry and supervision_state: ${result.baselineMs} ms; scorecard / baseline ${result.ratio}`);
    log(`target: under ${TARGET_SECONDS} s: ${result.withinTarget ? 'met' : 'NOT met'}`);
    log(JSON.stringify(result));
  } finally {
    await client.end().catch(() => undefined);
    await node.stop();
    await db.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace).catch(() => undefined);
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
