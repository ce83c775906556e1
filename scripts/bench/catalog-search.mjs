#!/usr/bin/env node
// Catalog search and list at the province (`node scripts/bench/catalog-search.mjs`, after `npm run build`):
//
//   (b) search over N entries (default 1,000,000): p50/p99 of each query of a set of Chinese and
//       ASCII words, answered over HTTP one at a time; the node's RSS and the database's size.
//   (c) /health/live (the baseline), the catalog list and search under 20 concurrent clients for
//       a few seconds each: requests/s and p50/p99, and each endpoint's rate against the baseline.
//
// The entries are loaded with COPY straight into the bench database's catalog_entry (the
// generated search columns and indexes are computed by PostgreSQL as for any write), not through
// the API: registration is measured by its own benchmarks. The load generator is a keep-alive
// HTTP loop of our own (no autocannon dependency): 20 loops, each one request at a time.
//
//   --entries N    entries to load (default 1000000)
//   --seconds S    seconds per endpoint under load (default 8)
//
// Exports benchCatalogSearch() for a combined benchmark; the last line printed is one JSON object.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { cpuMeter, cpuText } from '../lib/cpu-meter.mjs';
import { createTestDatabase, NodeProcess, PG_ADMIN_URL, SHARED_NATS_URL, testNamespace, deleteNamespaceStreams, api } from '@tdx/testing';

const require = createRequire(import.meta.url);
const { from: copyFrom } = require('pg-copy-streams');

const WORDS = [
  '企业',
  '登记',
  '信息',
  '人口',
  '户籍',
  '社保',
  '医保',
  '税务',
  '发票',
  '交通',
  '违章',
  '公积金',
  '不动产',
  '房屋',
  '学籍',
  '婚姻',
  '出生',
  '驾驶证',
  '营业执照',
  '环境',
  '监测',
  '水质',
  '空气',
  '电力',
  '燃气',
  '公交',
  '卫生',
  '药品',
  '食品',
  '安全',
  '许可',
  '审批',
  '备案',
  '投诉',
  '统计',
  '补贴',
  '救助',
  '养老',
  '就业',
  '培训',
  '农业',
  '气象',
  '消防',
  '应急',
  '信用',
  '处罚',
  '档案',
  '地名',
  '河道',
  '渔业',
];
const SUFFIXES = ['数据', '信息', '名录', '目录', '清单', '记录', '台账'];
const ITEMS = ['uscc', 'legal_person', 'reg_date', 'address', 'phone', 'id_number', '姓名', '地址', '金额', '日期', '状态', 'amount', 'status'];
const COUNTIES = ['330102', '330106', '330108', '330110', '330212', '330302', '330402', '330502', '330602', '330702'];
const CATEGORIES = ['market', 'tax', 'health', 'transport', 'environment', 'civil', 'education', 'agriculture'];
export const QUERIES = ['企业', '登记', '营业执照', '公积金 缴存', '税', '河道监测', '企业登记信息', 'uscc', 'Legal_Person', 'xyz不存在', '330106-d-0001'];

/** A deterministic pseudo-random generator, so that every run loads the same catalog. */
function generator(seed) {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x / 0x7fffffff);
}

function copyText(start, count, providers) {
  const random = generator(start + 1);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const now = new Date().toISOString();
  const lines = [];
  for (let i = start; i < start + count; i++) {
    const county = COUNTIES[i % COUNTIES.length];
    const name = `${pick(WORDS)}${pick(WORDS)}${random() < 0.5 ? pick(WORDS) : ''}${pick(SUFFIXES)}`;
    const summary = `${pick(WORDS)}和${pick(WORDS)}的${pick(WORDS)}${pick(SUFFIXES)}，按日更新，覆盖全市 ${pick(WORDS)} record ${i}`;
    const items = JSON.stringify(Array.from({ length: 3 + (i % 4) }, () => ({ name: pick(ITEMS), type: 'string', sensitive: false })));
    const grade = ['L1', 'L2', 'L3', 'L4'][i % 4];
    const share = ['unconditional', 'conditional', 'none'][i % 3];
    const open = grade === 'L1' ? 'unconditional' : grade === 'L4' ? 'prohibited' : 'restricted';
    lines.push(
      [
        randomUUID(),
        county,
        `${county}-D-${String(i).padStart(7, '0')}`,
        'data',
        name,
        summary,
        providers[i % providers.length],
        CATEGORIES[i % CATEGORIES.length],
        grade,
        share,
        share === 'conditional' ? '仅限本部门' : '\\N',
        share === 'none' ? '法律规定' : '\\N',
        open,
        'daily',
        'csv',
        county,
        items,
        '[]',
        '\\N',
        'active',
        1,
        now,
        now,
      ].join('\t'),
    );
  }
  return `${lines.join('\n')}\n`;
}

const COPY_COLUMNS = `id, origin, code, type, name, summary, provider_id, category, grade, share_type, share_condition, legal_basis, open_type,
  update_cycle, format, region_scope, data_items, related_resources, release_date, status, version, created_at, updated_at`;

/**
 * Loads `entries` rows over two connections (two cores: the gram columns are computed per row).
 * The gram index is dropped for the load and built once after it, as a bulk import would: kept,
 * each row's few hundred grams would be inserted into it one by one (about 130 entries a second
 * here), while one build sorts them all.
 */
async function load(url, entries, log) {
  const providers = Array.from({ length: 500 }, () => randomUUID());
  const started = performance.now();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const gramIndex = (await admin.query(`SELECT pg_get_indexdef('catalog_entry_search_grams'::regclass) AS def`)).rows[0].def;
  await admin.query('DROP INDEX catalog_entry_search_grams');
  const CHUNK = 20_000;
  let next = 0;
  const worker = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      while (next < entries) {
        const start = next;
        next += CHUNK;
        const count = Math.min(CHUNK, entries - start);
        await pipeline(Readable.from([copyText(start, count, providers)]), client.query(copyFrom(`COPY catalog_entry (${COPY_COLUMNS}) FROM STDIN`)));
        if ((start / CHUNK) % 10 === 0) log(`  loaded ${start + count} of ${entries}`);
      }
    } finally {
      await client.end();
    }
  };
  await Promise.all([worker(), worker()]);
  const copied = performance.now();
  log(`  copied in ${((copied - started) / 1000).toFixed(0)} s; building the gram index`);
  await admin.query(`SET maintenance_work_mem = '1GB'`);
  await admin.query(gramIndex);
  const indexSeconds = (performance.now() - copied) / 1000;
  await admin.end();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('ANALYZE catalog_entry');
  const size = (
    await client.query(`SELECT pg_database_size(current_database())::bigint AS db, pg_total_relation_size('catalog_entry')::bigint AS t,
    pg_relation_size('catalog_entry_search_grams')::bigint AS gin`)
  ).rows[0];
  await client.end();
  return {
    seconds: (performance.now() - started) / 1000,
    indexSeconds,
    databaseBytes: Number(size.db),
    tableBytes: Number(size.t),
    gramIndexBytes: Number(size.gin),
  };
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

function get(agent, base, path, token) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(`${base}${path}`, { agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `clients` loops each sending one request at a time for `seconds`: requests/s and latency percentiles. */
async function underLoad(base, path, token, clients, seconds, cpu) {
  cpu.restart();
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const times = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) times.push(await get(agent, base, path, token));
    }),
  );
  agent.destroy();
  const cpuMs = cpu.perRequest(times.length);
  times.sort((a, b) => a - b);
  return { rps: times.length / seconds, p50: percentile(times, 50), p99: percentile(times, 99), cpuMs };
}

function rssOf(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

export async function benchCatalogSearch({ entries = 1_000_000, seconds = 8, log = console.log } = {}) {
  const namespace = testNamespace();
  const db = await createTestDatabase('bench_search');
  const node = await NodeProcess.start({ code: '330000', databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
  try {
    log(`loading ${entries} entries with COPY into ${db.url.replace(/\/\/[^@]*@/, '//')}`);
    const loaded = await load(db.url, entries, log);
    await api(node.url, 'GET', '/api/v1/search?limit=1');
    const token = (await api(node.url, 'POST', '/api/v1/auth/login', { username: 'admin', password: node.env.ADMIN_PASSWORD })).body.accessToken;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const search = [];
    for (const q of QUERIES) {
      const path = `/api/v1/search?q=${encodeURIComponent(q)}&limit=50`;
      await get(agent, node.url, path, token);
      const times = [];
      for (let i = 0; i < 30; i++) times.push(await get(agent, node.url, path, token));
      times.sort((a, b) => a - b);
      search.push({ q, p50: percentile(times, 50), p99: percentile(times, 99) });
    }
    agent.destroy();
    const all = search.flatMap((s) => [s.p50, s.p99]).sort((a, b) => a - b);
    const rss = rssOf(node.pid);
    const clients = 20;
    const cpu = await cpuMeter({ processes: { node: [node.pid] }, pgAdminUrl: PG_ADMIN_URL, databases: [db.name] });
    const health = await underLoad(node.url, '/health/live', undefined, clients, seconds, cpu);
    const list = await underLoad(node.url, '/api/v1/catalog/entries?limit=50', token, clients, seconds, cpu);
    const searchLoad = await underLoad(node.url, `/api/v1/search?q=${encodeURIComponent('企业')}&limit=50`, token, clients, seconds, cpu);
    return { entries, loaded, search, searchWorstP99: all[all.length - 1], rss, clients, health, list, searchLoad };
  } finally {
    await node.stop();
    await db.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace).catch(() => undefined);
  }
}

function print(r) {
  const ms = (x) => `${x.toFixed(1)} ms`;
  console.log(
    `\n(b) search over ${r.entries} entries (loaded in ${r.loaded.seconds.toFixed(0)} s, of which ${r.loaded.indexSeconds.toFixed(0)} s building the gram index)`,
  );
  console.log('query'.padEnd(20), 'p50'.padStart(10), 'p99'.padStart(10));
  for (const s of r.search) console.log(s.q.padEnd(20), ms(s.p50).padStart(10), ms(s.p99).padStart(10));
  console.log(
    `node RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB; database ${(r.loaded.databaseBytes / 2 ** 20).toFixed(0)} MiB (catalog_entry with indexes ${(r.loaded.tableBytes / 2 ** 20).toFixed(0)} MiB, gram index ${(r.loaded.gramIndexBytes / 2 ** 20).toFixed(0)} MiB)`,
  );
  console.log(`\n(c) ${r.clients} concurrent clients`);
  console.log('endpoint'.padEnd(36), 'req/s'.padStart(8), 'p50'.padStart(10), 'p99'.padStart(10), 'of /health/live'.padStart(16), '  CPU ms a request');
  for (const [name, x] of [
    ['/health/live (baseline)', r.health],
    ['GET /api/v1/catalog/entries?limit=50', r.list],
    ['GET /api/v1/search?q=企业&limit=50', r.searchLoad],
  ]) {
    console.log(
      name.padEnd(36),
      x.rps.toFixed(0).padStart(8),
      ms(x.p50).padStart(10),
      ms(x.p99).padStart(10),
      `${((x.rps / r.health.rps) * 100).toFixed(0)}%`.padStart(16),
      `  ${cpuText(x.cpuMs)}`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => Number(new RegExp(`--${name}[= ](\\d+)`).exec(process.argv.slice(2).join(' '))?.[1] ?? fallback);
  const result = await benchCatalogSearch({ entries: arg('entries', 1_000_000), seconds: arg('seconds', 8) });
  print(result);
  console.log(
    JSON.stringify({
      bench: 'catalog-search',
      entries: result.entries,
      searchWorstP99Ms: +result.searchWorstP99.toFixed(1),
      search: result.search.map((s) => ({ q: s.q, p50Ms: +s.p50.toFixed(1), p99Ms: +s.p99.toFixed(1) })),
      nodeRssBytes: result.rss,
      databaseBytes: result.loaded.databaseBytes,
      gramIndexBytes: result.loaded.gramIndexBytes,
      clients: result.clients,
      healthRps: Math.round(result.health.rps),
      listRps: Math.round(result.list.rps),
      listP50Ms: +result.list.p50.toFixed(1),
      listP99Ms: +result.list.p99.toFixed(1),
      searchRps: Math.round(result.searchLoad.rps),
      searchP50Ms: +result.searchLoad.p50.toFixed(1),
      searchP99Ms: +result.searchLoad.p99.toFixed(1),
      cpuMsPerRequest: { health: result.health.cpuMs, list: result.list.cpuMs, search: result.searchLoad.cpuMs },
      listToHealth: +(result.list.rps / result.health.rps).toFixed(2),
      searchToHealth: +(result.searchLoad.rps / result.health.rps).toFixed(2),
    }),
  );
  void sleep;
}
