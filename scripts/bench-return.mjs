#!/usr/bin/env node
// `npm run bench:return`: return of data downward (Article 9). The province 330000 holds a dataset
// of N rows spread over Zhejiang's 90 counties, loaded through the upload endpoint (by the built
// `tdx data load`, from a CSV generated to a temporary file as a stream). It is returned to the
// city 330100 (its subtree) and to the county 330106 (itself). For each, the script prints the rows
// per second landed in the receiver's database and, measured in the same run between the same two
// databases, the baseline of raw PostgreSQL `COPY (SELECT the same rows) TO STDOUT` piped into
// `COPY ... FROM STDIN` (a scratch table in the receiver's database), and the ratio. As the
// machine's speed drifts, the copy and the return (each time a new request) run three times each,
// taking turns; every run is printed and the medians are compared. Then the peak memory (VmHWM)
// of each node process. The last line of output is one JSON object with the figures.
//
//   --rows N     rows at the province (default 1,000,000)
//
// Environment: BENCH_PG_URL (postgres://postgres@localhost:5432/postgres), BENCH_NATS_URL
// (nats://127.0.0.1:4222). Databases tdx_bench_return_<code> are dropped and created fresh, the
// NATS namespace is new each run, and both are removed at the end (the databases are kept, for
// inspection, with BENCH_KEEP_DATABASES=1).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import {
  api,
  approveAndAwaitJoins,
  databaseUrl,
  deleteNamespaceStreams,
  dropDatabases,
  freePort,
  localNode,
  preflight,
  recreateDatabases,
  ROOT,
  runBenchmark,
  ScriptError,
  shown,
  sleep,
  withPg,
} from './lib/local-federation.mjs';

const options = parseArgs(process.argv.slice(2), { rows: 1_000_000 });
const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@localhost:5432/postgres';
const NATS_URL = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const NAMESPACE = `benchret${randomBytes(4).toString('hex')}`;
const CHAIN = [
  { code: '330000', parent: undefined },
  { code: '330100', parent: '330000' },
  { code: '330106', parent: '330100' },
];
const PROVINCE = '330000';
// Who receives what: the city its whole subtree, the county itself.
const RETURNS = [
  { receiver: '330100', scope: 'subtree', prefix: '3301' },
  { receiver: '330106', scope: 'self', prefix: '330106' },
];
const LOG_DIR = join(ROOT, '.tdx/bench/logs');
const CLI_MAIN = join(ROOT, 'apps/cli/dist/main.js');
const TARGET_RATE = 50_000;
const TARGET_RATIO = 0.3;
/** Runs of the baseline copy and of the return, each, per receiver: their medians are compared. */
const RUNS = 3;
const RETURN_TIMEOUT_MS = Math.max(300_000, options.rows * 2);

const nodes = new Map();
const workDir = mkdtempSync(join(tmpdir(), 'tdx-bench-return-'));
const dbName = (code) => `tdx_bench_return_${code}`;
const dbUrl = (code) => databaseUrl(PG_ADMIN_URL, dbName(code));

function parseArgs(argv, defaults) {
  const result = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !(name in defaults))
      throw new ScriptError(
        `unknown option ${argv[i]}; options: ${Object.keys(defaults)
          .map((k) => `--${k}`)
          .join(' ')}`,
      );
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value <= 0) throw new ScriptError(`--${name} needs a positive whole number`);
    result[name] = value;
  }
  return result;
}

function log(message = '') {
  process.stdout.write(`${message}\n`);
}

/** The run with the median rows per second. */
const median = (runs) => [...runs].sort((a, b) => a.rowsPerSec - b.rowsPerSec)[Math.floor(runs.length / 2)];
const round = (n, digits = 0) => (n === null || n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits)));
const fmt = (n) => Math.round(n).toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------
// The dataset: a provincial market regulator's register of enterprises, ten columns.

const COUNTIES = JSON.parse(readFileSync(join(ROOT, 'libs/divisions/src/zhejiang-divisions.json'), 'utf8')).cities.flatMap((city) =>
  city.counties.map((county) => county.code),
);

const DATA_ITEMS = [
  { name: 'uscc', type: 'string', sensitive: false },
  { name: 'name', type: 'string', sensitive: false },
  { name: 'legal_person', type: 'string', sensitive: true },
  { name: 'legal_person_id_number', type: 'string', sensitive: true },
  { name: 'phone', type: 'string', sensitive: true },
  { name: 'registered_capital', type: 'decimal', sensitive: false },
  { name: 'established_on', type: 'date', sensitive: false },
  { name: 'status', type: 'string', sensitive: false },
];
const HEADER = ['row_key', 'region_code', ...DATA_ITEMS.map((d) => d.name)];

function entry(providerId) {
  return {
    type: 'data',
    name: '浙江省市场主体登记信息',
    summary: '全省企业、个体工商户的登记信息，按所在县（市、区）行政区划代码归属，供各级回流使用。',
    providerId,
    category: '市场监管',
    grade: 'L2',
    shareType: 'unconditional',
    openType: 'restricted',
    updateCycle: 'daily',
    format: 'csv',
    dataItems: DATA_ITEMS,
  };
}

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '周', '吴'];
const STATUSES = ['存续', '在业', '迁出', '注销'];

/** Row i: a deterministic, realistic-looking enterprise in county i mod 90. */
function row(i) {
  const region = COUNTIES[i % COUNTIES.length];
  const serial = String(i).padStart(9, '0');
  const birth = `19${String(50 + (i % 50)).padStart(2, '0')}${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}`;
  return [
    `ent-${serial}`,
    region,
    `91${region}${serial}`,
    `浙江某某${i % 1000}号贸易有限公司`,
    `${SURNAMES[i % 10]}某${i % 100}`,
    `${region}${birth}${String(i % 1000).padStart(3, '0')}${i % 10}`,
    `13${String(i).padStart(9, '0')}`,
    ((i % 100_000) * 10 + 0.5).toFixed(2),
    `20${String(i % 25).padStart(2, '0')}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
    STATUSES[i % 4],
  ].join(',');
}

/** Writes the CSV to a file as a stream, in blocks of rows, honouring back-pressure. */
async function generateCsv(file, rows) {
  async function* lines() {
    yield `${HEADER.join(',')}\n`;
    const block = 5000;
    for (let i = 0; i < rows; i += block) {
      let text = '';
      for (let k = i; k < Math.min(rows, i + block); k++) text += `${row(k)}\n`;
      yield text;
    }
  }
  await pipeline(lines(), createWriteStream(file));
  return statSync(file).size;
}

// ---------------------------------------------------------------------------------------------
// Set-up and tear-down.

async function freshDatabases() {
  await recreateDatabases(
    PG_ADMIN_URL,
    CHAIN.map(({ code }) => dbName(code)),
  );
}

async function startChain() {
  for (const { code, parent } of CHAIN) {
    const node = localNode({
      code,
      parentCode: parent,
      port: await freePort(),
      databaseUrl: dbUrl(code),
      natsUrl: NATS_URL,
      namespace: NAMESPACE,
      keyFile: join(workDir, `node-${code}.pem`),
      logFile: join(LOG_DIR, `return-${code}.log`),
      logLevel: 'warn',
    }).launch({ append: false });
    nodes.set(code, node);
    await node.waitHealthy();
  }
  // Each join waits for the operator at the parent: approve them, as an operator would.
  await approveAndAwaitJoins(nodes);
}

async function cleanUp() {
  for (const { code } of [...CHAIN].reverse())
    await nodes
      .get(code)
      ?.stop()
      .catch(() => undefined);
  if (process.env.BENCH_KEEP_DATABASES === '1') {
    log(`  kept the databases ${dbName('*')} (BENCH_KEEP_DATABASES=1) for inspection; the next run drops them`);
  } else {
    await dropDatabases(
      PG_ADMIN_URL,
      CHAIN.map(({ code }) => dbName(code)),
    ).catch((error) => log(`could not drop the bench databases: ${error.message}`));
  }
  await deleteNamespaceStreams(NATS_URL, NAMESPACE).catch((error) => log(`could not delete the streams of namespace ${NAMESPACE}: ${error.message}`));
  rmSync(workDir, { recursive: true, force: true });
}

/** Peak resident set (VmHWM) of a node process so far, in MB. */
function peakRssMb(node) {
  try {
    const status = readFileSync(`/proc/${node.pid}/status`, 'utf8');
    const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return Number.isFinite(kb) ? round(kb / 1024, 1) : null;
  } catch {
    return null;
  }
}

function peaks() {
  return Object.fromEntries(CHAIN.map(({ code }) => [code, peakRssMb(nodes.get(code))]));
}

// ---------------------------------------------------------------------------------------------
// Load: the built CLI streams the file to the upload endpoint.

async function load(file, entryId) {
  const province = nodes.get(PROVINCE);
  const started = performance.now();
  // Signed in as the province's admin; the token (15 minutes) is fetched just before the load.
  const env = { ...process.env, TDX_TOKEN: await province.accessToken() };
  const child = spawn(process.execPath, [CLI_MAIN, 'data', 'load', file, '--entry', entryId, '--json', '--node', province.url], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const [code] = await once(child, 'exit');
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new ScriptError(`tdx data load exited ${code}: ${stderr.trim() || stdout.trim()}`);
  return { result: JSON.parse(stdout), seconds };
}

// ---------------------------------------------------------------------------------------------
// The COPY baseline: the same filtered rows, province database -> a scratch table in the receiver's.

function selectSql(entryId, prefix) {
  // Both are checked shapes (a UUID from the node, a digit prefix), so inlining them is safe; COPY takes no parameters.
  if (!/^[0-9a-f-]{36}$/i.test(entryId) || !/^\d+$/.test(prefix)) throw new ScriptError('bad entry id or prefix');
  return `SELECT row_key, region_code, data FROM dataset_row WHERE entry_id = '${entryId}' AND region_code LIKE '${prefix}%' AND NOT deleted`;
}

async function copyBaseline(entryId, prefix, receiver) {
  const source = new pg.Client({ connectionString: dbUrl(PROVINCE) });
  const target = new pg.Client({ connectionString: dbUrl(receiver) });
  await Promise.all([source.connect(), target.connect()]);
  try {
    // A plain table without indexes: the cheapest possible landing, so the baseline is strict.
    await target.query('DROP TABLE IF EXISTS bench_copy_baseline');
    await target.query('CREATE TABLE bench_copy_baseline (row_key text, region_code text, data jsonb)');
    const started = performance.now();
    await pipeline(
      source.query(copyStreams.to(`COPY (${selectSql(entryId, prefix)}) TO STDOUT`)),
      target.query(copyStreams.from('COPY bench_copy_baseline (row_key, region_code, data) FROM STDIN')),
    );
    const seconds = (performance.now() - started) / 1000;
    const { rows } = await target.query('SELECT count(*)::int AS n FROM bench_copy_baseline');
    await target.query('DROP TABLE bench_copy_baseline');
    return { rows: rows[0].n, seconds, rowsPerSec: rows[0].n / seconds };
  } finally {
    await Promise.all([source.end(), target.end()].map((p) => p.catch(() => undefined)));
  }
}

// ---------------------------------------------------------------------------------------------
// A return: request at the receiver, granted at once (unconditional sharing), transfer until the
// job is done; rows landed are counted in the receiver's database.

/** Rows landed in the receiver's database for a request (the returns feature's table). */
async function landedCount(client, requestId) {
  const { rows } = await client.query('SELECT count(*)::int AS n FROM returned_row WHERE request_id = $1', [requestId]);
  return { table: 'returned_row', n: rows[0].n };
}

/**
 * The request's job as the receiver's database has it: polled there rather than over HTTP, so
 * watching costs the node nothing. Rows and cursor commit together, so a job seen done has all
 * its rows in the database.
 */
async function jobOf(client, requestId) {
  const { rows } = await client.query(
    `SELECT id, state, rows_done::int AS "rowsDone", last_error AS "lastError" FROM return_job WHERE request_id = $1 ORDER BY row_seq DESC LIMIT 1`,
    [requestId],
  );
  return rows[0];
}

async function returnTo({ receiver, scope }, entryId, expected) {
  const node = nodes.get(receiver);
  const db = new pg.Client({ connectionString: dbUrl(receiver) });
  await db.connect();
  try {
    const started = performance.now();
    const { body: request } = await api(node.url, 'POST', '/api/v1/returns/requests', {
      entryId,
      holder: PROVINCE,
      scope,
      purpose: '市场监管：本辖区市场主体登记信息回流（基准测试）',
    });
    // RETURN_STATES of libs/contracts: an unconditional entry is granted at once (there is no 'approved').
    if (request.state !== 'granted') {
      throw new ScriptError(
        `the return request to ${receiver} is ${request.state}${request.reason ? ` (${request.reason})` : ''}, expected granted (unconditional sharing)`,
      );
    }
    // The grant starts the transfer by itself; start it if it has not within a second.
    let job;
    for (let i = 0; i < 100 && !job; i++) {
      job = await jobOf(db, request.id);
      if (!job) await sleep(10);
    }
    job ??= (await api(node.url, 'POST', `/api/v1/returns/requests/${request.id}/sync`)).body;

    // Measured to the commit of the last row: rows and the job's count commit together. The job
    // itself is done a moment later, once a last plan has found nothing more; that is awaited, not timed.
    const deadline = Date.now() + RETURN_TIMEOUT_MS;
    let lastReport = performance.now();
    let seconds;
    for (;;) {
      job = await jobOf(db, request.id);
      if (seconds === undefined && (job.rowsDone >= expected || job.state === 'done')) seconds = (performance.now() - started) / 1000;
      if (job.state === 'done') break;
      if (job.state === 'failed') throw new ScriptError(`the return job to ${receiver} failed: ${job.lastError}; see ${shown(LOG_DIR)}`);
      if (Date.now() > deadline)
        throw new ScriptError(`the return job to ${receiver} is ${job.state} with ${job.rowsDone} rows done after ${RETURN_TIMEOUT_MS / 1000} s`);
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        log(`  ${((lastReport - started) / 1000).toFixed(1)} s: ${fmt(job.rowsDone)} of ${fmt(expected)} rows landed (job ${job.state})`);
      }
      await sleep(seconds === undefined ? 10 : 50);
    }
    const landed = await landedCount(db, request.id);
    if (landed.n !== expected) throw new ScriptError(`${receiver} holds ${landed.n} rows, expected exactly ${expected}`);
    // The job's own view of its duration, as the API shows it.
    job = (await api(node.url, 'GET', `/api/v1/returns/jobs/${job.id}`)).body;
    const jobSeconds = job.startedAt && job.finishedAt ? (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000 : null;
    return { receiver, scope, rows: landed.n, table: landed.table, seconds, rowsPerSec: landed.n / seconds, jobSeconds, requestId: request.id, jobId: job.id };
  } finally {
    await db.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  log(`bench:return: ${fmt(options.rows)} rows at province ${PROVINCE}, returned to city 330100 (subtree) and county 330106; NATS namespace ${NAMESPACE}`);
  await preflight({ pgAdminUrl: PG_ADMIN_URL, natsUrl: NATS_URL });
  if (COUNTIES.length !== 90) throw new ScriptError(`expected 90 counties in the divisions file, found ${COUNTIES.length}`);
  await freshDatabases();
  log(`  fresh databases ${dbName('{' + CHAIN.map((n) => n.code).join(',') + '}')}; node logs (LOG_LEVEL=warn) in ${shown(LOG_DIR)}`);
  await startChain();
  log(`  chain up and joined: ${CHAIN.map(({ code }) => `${code} ${nodes.get(code).url}`).join(', ')}`);

  const province = nodes.get(PROVINCE);
  const { body: institution } = await api(province.url, 'POST', '/api/v1/institutions', { name: '浙江省市场监督管理局', kind: 'government' });
  const { body: dataEntry } = await api(province.url, 'POST', '/api/v1/catalog/entries', entry(institution.id));
  log(`  data entry ${dataEntry.id} (${dataEntry.code}), grade L2, unconditional sharing, ${HEADER.length} columns`);

  const file = join(workDir, 'enterprises.csv');
  const genStart = performance.now();
  const bytes = await generateCsv(file, options.rows);
  log(
    `\n(1) load: generated ${(bytes / 1024 / 1024).toFixed(1)} MB of CSV in ${((performance.now() - genStart) / 1000).toFixed(1)} s; streaming it with \`tdx data load\``,
  );
  const loaded = await load(file, dataEntry.id);
  rmSync(file, { force: true });
  if (loaded.result.rowsRead !== options.rows || loaded.result.inserted !== options.rows) {
    throw new ScriptError(`the load read ${loaded.result.rowsRead} rows and inserted ${loaded.result.inserted}, expected ${options.rows}`);
  }
  const loadRate = options.rows / loaded.seconds;
  // The table as autovacuum leaves it some minutes after a load (visibility map set, statistics
  // taken), which is how a return finds a dataset as a rule; then a checkpoint: the load and the
  // vacuum wrote over a gigabyte of WAL, and a checkpoint running later would compete with
  // whichever copy or return came next. Taken here, every measurement below starts alike.
  const vacuumStart = performance.now();
  await withPg(dbUrl(PROVINCE), (client) => client.query('VACUUM (ANALYZE) dataset_row'));
  const vacuumSeconds = (performance.now() - vacuumStart) / 1000;
  const checkpointStart = performance.now();
  await withPg(PG_ADMIN_URL, (client) => client.query('CHECKPOINT'));
  const checkpointSeconds = (performance.now() - checkpointStart) / 1000;
  const afterLoad = peaks();
  log(
    `  ${fmt(options.rows)} rows in ${loaded.seconds.toFixed(1)} s: ${fmt(loadRate)} rows/s; province peak RSS ${afterLoad[PROVINCE]} MB; ` +
      `then VACUUM (ANALYZE) ${vacuumSeconds.toFixed(1)} s, CHECKPOINT ${checkpointSeconds.toFixed(1)} s`,
  );

  // Until the returns feature is deployed the script still measures the load and the baselines.
  const probe = await api(nodes.get('330106').url, 'GET', '/api/v1/returns/requests', undefined, { expect: [404] });
  const returnsAvailable = probe.status !== 404;
  if (!returnsAvailable) log('\n  this build has no /api/v1/returns endpoints: measuring the COPY baselines only');

  const results = [];
  for (const target of RETURNS) {
    const expected = await withPg(
      dbUrl(PROVINCE),
      async (c) => (await c.query(`SELECT count(*)::int AS n FROM (${selectSql(dataEntry.id, target.prefix)}) s`)).rows[0].n,
    );
    log(`\n(2) return to ${target.receiver} (${target.scope}): ${fmt(expected)} rows with region codes ${target.prefix}*`);
    // The machine's speed drifts from one second to the next: the baseline copy and the return are
    // each run RUNS times, taking turns, and their medians are compared. Each return is a new
    // request, transferred in full.
    const copies = [];
    const returns = [];
    for (let i = 0; i < RUNS; i++) {
      const copy = await copyBaseline(dataEntry.id, target.prefix, target.receiver);
      if (copy.rows !== expected) throw new ScriptError(`the COPY baseline moved ${copy.rows} rows, expected ${expected}`);
      copies.push(copy);
      log(`  baseline COPY ${PROVINCE} -> ${target.receiver}: ${fmt(copy.rows)} rows in ${copy.seconds.toFixed(2)} s, ${fmt(copy.rowsPerSec)} rows/s`);
      if (!returnsAvailable) continue;
      const returned = await returnTo(target, dataEntry.id, expected);
      returns.push(returned);
      log(
        `  return: ${fmt(returned.rows)} rows landed in ${returned.table} in ${returned.seconds.toFixed(2)} s (request to last row), ${fmt(returned.rowsPerSec)} rows/s` +
          `${returned.jobSeconds !== null ? `; the job's own time ${returned.jobSeconds.toFixed(2)} s` : ''}`,
      );
    }
    const baseline = median(copies);
    const returned = returnsAvailable ? median(returns) : null;
    const ratio = returned ? returned.rowsPerSec / baseline.rowsPerSec : null;
    log(
      `  medians: return ${returned ? `${fmt(returned.rowsPerSec)} rows/s` : 'not measured'}, baseline ${fmt(baseline.rowsPerSec)} rows/s; ratio ${ratio?.toFixed(3) ?? '-'}`,
    );
    results.push({ ...target, expected, baseline, copies, returned, returns, ratio });
  }

  const peak = peaks();
  const targetsMet = returnsAvailable && results.every((r) => r.returned.rowsPerSec >= TARGET_RATE && r.ratio >= TARGET_RATIO);
  log('\nsummary');
  log(`  load              ${fmt(loadRate)} rows/s (${fmt(options.rows)} rows, ${(bytes / 1024 / 1024).toFixed(1)} MB)`);
  for (const r of results) {
    const landed = r.returned
      ? `${fmt(r.returned.rowsPerSec)} rows/s landed (${fmt(r.returned.rows)} rows, median of ${RUNS})`
      : `not measured (${fmt(r.expected)} rows)`;
    log(
      `  to ${r.receiver} ${r.scope.padEnd(8)} ${landed}; COPY baseline ${fmt(r.baseline.rowsPerSec)} rows/s; ratio ${r.ratio?.toFixed(3) ?? '-'}` +
        `   target >= ${fmt(TARGET_RATE)}/s, ratio >= ${TARGET_RATIO}`,
    );
  }
  log(`  peak RSS (VmHWM)  ${CHAIN.map(({ code }) => `${code} ${peak[code]} MB`).join(', ')} (province after the load: ${afterLoad[PROVINCE]} MB)`);
  log(`  targets           ${targetsMet ? 'met' : 'NOT met'}`);
  return {
    rows: options.rows,
    csvBytes: bytes,
    loadSeconds: round(loaded.seconds, 2),
    loadRowsPerSec: round(loadRate),
    returns: results.map((r) => ({
      receiver: r.receiver,
      scope: r.scope,
      rows: r.expected,
      seconds: round(r.returned?.seconds, 3),
      rowsPerSec: round(r.returned?.rowsPerSec),
      jobSeconds: round(r.returned?.jobSeconds, 3),
      copyBaselineSeconds: round(r.baseline.seconds, 3),
      copyBaselineRowsPerSec: round(r.baseline.rowsPerSec),
      copyBaselineRuns: r.copies.map((c) => round(c.rowsPerSec)),
      returnRuns: r.returns.map((x) => round(x.rowsPerSec)),
      ratio: round(r.ratio, 4),
    })),
    returnsMeasured: returnsAvailable,
    peakRssMb: peak,
    provincePeakRssAfterLoadMb: afterLoad[PROVINCE],
    targetRowsPerSec: TARGET_RATE,
    targetRatio: TARGET_RATIO,
    targetsMet,
  };
}

runBenchmark({ main, cleanUp, nodes });
