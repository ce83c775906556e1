#!/usr/bin/env node
// `npm run bench:province`: the whole province at once. Starts the tree (scripts/lib/local-tree.mjs:
// a nats-server per node process in the leaf chain, a database per node), registers N catalog
// entries spread evenly over every county at the same time through the bulk endpoint, and measures
// the time until the province's digest of every county equals that county's own; entries per
// second; the peak memory of each process and of the whole tree. The last line of output is one
// JSON object with the figures.
//
//   --topology T   zhejiang (default: 1 province, 11 cities, 90 counties) or small
//   --entries N    entries in all (default 100000)
//   --batch B      entries per bulk request (default 1000, the endpoint's maximum)
//   --inflight K   bulk requests in flight over the whole tree (default 6)
//   --timeout S    seconds to wait for the province to agree after the last registration (default 600)
//
//   --own-postgres 1  the databases on a PostgreSQL cluster of the script's own (initdb, a free
//                  port, max_connections sized for the tree), removed at the end; the default
//                  for zhejiang, whose 102 nodes hold about 400 connections (a stock server allows 100)
//
// Environment: BENCH_PG_URL (postgres://postgres@localhost:5432/postgres; when set, used even for
// zhejiang). Databases tdx_benchprov_<code> are made fresh and dropped at the end.
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { api, preflightDatabase, runBenchmark, ScriptError, sleep } from './lib/local-federation.mjs';
import { parseOptions } from './lib/options.mjs';
import { marketEntry } from './lib/sample-entries.mjs';
import { LocalTree } from './lib/local-tree.mjs';
import { OwnedPostgres } from './lib/owned-postgres.mjs';
import { buildTopology } from './lib/topology.mjs';

const DEFAULTS = { topology: 'zhejiang', entries: 100_000, batch: 1000, inflight: 6, timeout: 600, 'own-postgres': 0 };
const options = parseOptions(process.argv.slice(2), DEFAULTS, { strings: ['topology'], positive: ['entries', 'batch', 'inflight', 'timeout'] });
if (options.batch > 1000) throw new ScriptError('--batch is at most 1000 (the bulk endpoint limit)');
const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@localhost:5432/postgres';
const OWN_POSTGRES = !process.env.BENCH_PG_URL && (options.topology === 'zhejiang' || options['own-postgres'] === 1);
let ownedPg;
/** Targets for the full province: converged within 120 s of the last registration, the tree under 16 GiB. */
const TARGET_SECONDS = 120;
const TARGET_MEMORY_MB = 16 * 1024;

const log = (message = '') => process.stdout.write(`${message}\n`);
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const round = (n, digits = 0) => (n === null || n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits)));

const topology = buildTopology(options.topology, { hosting: true });
const tree = new LocalTree({
  topology,
  label: 'benchprov',
  pgAdminUrl: PG_ADMIN_URL,
  workDir: mkdtempSync(join(tmpdir(), 'tdx-bench-province-')),
  namespace: 'benchprov',
  log,
});

function entry(county, providerId, i) {
  return marketEntry(county.name, providerId, i, { items: 'short' });
}

/** Runs `tasks` (functions returning promises) with at most `limit` in flight. */
async function pool(tasks, limit) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) await tasks[next++]();
    }),
  );
}

/** Per county origin: the province's copy and the county's own, until every one matches `expected`. */
async function provinceAgrees(counties, expected) {
  const { body } = await api(tree.nodes.get(topology.nodes[0].code).url, 'GET', '/api/v1/federation/digest');
  const atProvince = new Map(body.origins.map((o) => [o.origin, o]));
  const short = counties.filter((c) => (atProvince.get(c.code)?.count ?? 0) < expected.get(c.code));
  if (short.length > 0) return { agreed: false, held: [...atProvince.values()].reduce((n, o) => n + (o.origin === topology.nodes[0].code ? 0 : o.count), 0) };
  // Every count is there: now the digests themselves, county by county.
  for (const county of counties) {
    const { body: own } = await api(tree.nodes.get(county.code).url, 'GET', '/api/v1/federation/digest');
    const mine = own.origins.find((o) => o.origin === county.code);
    const theirs = atProvince.get(county.code);
    if (!mine || mine.digest !== theirs.digest || mine.count !== theirs.count) return { agreed: false, held: null };
  }
  return { agreed: true };
}

async function main() {
  const counties = topology.nodes.filter((n) => n.level === 'county');
  log(
    `bench:province: topology ${topology.name} (${topology.nodes.length} nodes, ${topology.processes.length} processes), ${fmt(options.entries)} entries over ${counties.length} counties`,
  );
  if (OWN_POSTGRES) {
    ownedPg = await OwnedPostgres.start({ maxConnections: topology.nodes.length * 12 + 50 });
    tree.pgAdminUrl = ownedPg.adminUrl;
    tree.ownedPostgres = ownedPg;
    log(`  own PostgreSQL cluster on 127.0.0.1:${ownedPg.port} (${ownedPg.dir})`);
  }
  await preflightDatabase(tree.pgAdminUrl);
  const startUp = performance.now();
  await tree.start();
  const startUpSeconds = (performance.now() - startUp) / 1000;
  log(`  all ${tree.nodes.size} nodes up and joined in ${startUpSeconds.toFixed(1)} s; memory now ${fmt(tree.sampler.sample() / 1024)} MB`);

  const providers = new Map();
  for (const county of counties) {
    const { body } = await api(tree.nodes.get(county.code).url, 'POST', '/api/v1/institutions', { name: `${county.name}市场监督管理局`, kind: 'government' });
    providers.set(county.code, body.id);
  }
  const expected = new Map(counties.map((c, i) => [c.code, Math.floor(options.entries / counties.length) + (i < options.entries % counties.length ? 1 : 0)]));
  // Batches taken round-robin over the counties, so every county is registering at once.
  const perCounty = counties.map((county) => {
    const batches = [];
    for (let done = 0; done < expected.get(county.code); done += options.batch) {
      const size = Math.min(options.batch, expected.get(county.code) - done);
      batches.push(() =>
        api(tree.nodes.get(county.code).url, 'POST', '/api/v1/catalog/entries/bulk', {
          entries: Array.from({ length: size }, (_, k) => entry(county, providers.get(county.code), done + k)),
        }),
      );
    }
    return batches;
  });
  const tasks = [];
  for (let round = 0; perCounty.some((b) => b.length > round); round++) for (const b of perCounty) if (b[round]) tasks.push(b[round]);

  log(`\nregistering: ${tasks.length} bulk requests of up to ${options.batch}, ${options.inflight} in flight`);
  const t0 = performance.now();
  await pool(tasks, options.inflight);
  const tLast = performance.now();
  log(`  registered ${fmt(options.entries)} in ${((tLast - t0) / 1000).toFixed(1)} s (${fmt(options.entries / ((tLast - t0) / 1000))}/s at the counties)`);

  const deadline = tLast + options.timeout * 1000;
  let lastReport = tLast;
  for (;;) {
    const state = await provinceAgrees(counties, expected);
    if (state.agreed) break;
    if (performance.now() > deadline)
      throw new ScriptError(`the province did not agree with every county within ${options.timeout} s of the last registration`);
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      log(
        `  ${((lastReport - tLast) / 1000).toFixed(0)} s after the last registration: the province holds ${state.held === null ? 'every count (digests still differ)' : fmt(state.held)} of ${fmt(options.entries)}`,
      );
    }
    await sleep(250);
  }
  const tAgreed = performance.now();
  tree.sampler.stop();
  const memory = tree.sampler.report();
  const convergeSeconds = (tAgreed - tLast) / 1000;
  const totalSeconds = (tAgreed - t0) / 1000;
  const perSecond = options.entries / totalSeconds;
  const nodePeaks = Object.entries(memory.byLabel).filter(([l]) => l.startsWith('node '));
  const largest = nodePeaks.sort((a, b) => b[1] - a[1])[0];
  const full = topology.name === 'zhejiang' && options.entries >= 100_000;
  const targetsMet = convergeSeconds <= TARGET_SECONDS && memory.totalMb <= TARGET_MEMORY_MB;

  log('\nsummary');
  log(
    `  nodes                 ${tree.nodes.size} (${topology.processes.length} processes, ${tree.servers.size} nats-servers), up in ${startUpSeconds.toFixed(1)} s`,
  );
  log(`  converged             ${convergeSeconds.toFixed(2)} s after the last registration   target <= ${TARGET_SECONDS} s`);
  log(`  end to end            ${fmt(perSecond)} entries/s (${fmt(options.entries)} in ${totalSeconds.toFixed(2)} s, first registration to agreement)`);
  log(`  peak memory           ${fmt(memory.totalMb)} MB summed over every process   target <= ${fmt(TARGET_MEMORY_MB)} MB`);
  log(`  largest process       ${largest[0]} ${largest[1]} MB`);
  log(`  targets               ${targetsMet ? 'met' : 'NOT met'}${full ? '' : ' (at this size; the targets are for --topology zhejiang --entries 100000)'}`);
  return {
    topology: topology.name,
    nodes: tree.nodes.size,
    processes: topology.processes.length,
    natsServers: tree.servers.size,
    counties: counties.length,
    entries: options.entries,
    startUpSeconds: round(startUpSeconds, 1),
    registerSeconds: round((tLast - t0) / 1000, 2),
    convergeSecondsAfterLast: round(convergeSeconds, 2),
    totalSeconds: round(totalSeconds, 2),
    entriesPerSec: round(perSecond),
    peakMemoryMb: memory.totalMb,
    peakMemoryByProcessMb: memory.byLabel,
    machine: { cpus: cpus().length, memoryMb: Math.round(totalmem() / 1024 / 1024), node: process.version },
    targetConvergeSeconds: TARGET_SECONDS,
    targetMemoryMb: TARGET_MEMORY_MB,
    targetsMet,
  };
}

async function cleanUp() {
  await tree.stop();
  tree.removeWorkDir();
  ownedPg?.stop();
}

// Should the script die some other way, the nats-servers (in process groups of their own) and the own PostgreSQL go too.
process.on('exit', () => {
  tree.killNow();
  try {
    ownedPg?.stop();
  } catch {
    // Exiting anyway.
  }
});
runBenchmark({ main, cleanUp, nodes: tree.nodes });
