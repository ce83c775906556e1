#!/usr/bin/env node
// `npm run bench:channel`: the one channel of Article 10, measured.
//
//   (a) queries through the channel from a county of Hangzhou to a county of Ningbo (grant check,
//       masking and audit at both ends), beside the channel's own ping and raw NATS request/reply
//       on the same server in the same run (scripts/bench/channel-queries.mjs);
//   (b), (c) catalog search at the province over N entries, and the list and search endpoints
//       under 20 clients beside /health/live (scripts/bench/catalog-search.mjs).
//
//   --seconds S        seconds per measurement of (a) (default 10)
//   --concurrency C    requests in flight in (a) (default 20)
//   --entries N        entries for (b) and (c) (default 1000000; loading them takes minutes)
//   --only a|bc        one part only
//
// Environment: BENCH_PG_URL (postgres://postgres@localhost:5432/postgres), BENCH_NATS_URL
// (nats://127.0.0.1:4222). The last line printed is one JSON object with every figure.
import { mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { preflight, ROOT, runBenchmark, ScriptError } from './lib/local-federation.mjs';
import { benchChannelQueries } from './bench/channel-queries.mjs';
import { cpuText } from './lib/cpu-meter.mjs';
import { benchCatalogSearch } from './bench/catalog-search.mjs';

const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@localhost:5432/postgres';
const NATS_URL = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const LOG_DIR = join(ROOT, '.tdx/bench/logs');
const nodes = new Map();

function option(name, fallback) {
  const args = process.argv.slice(2);
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = args[at + 1];
  if (value === undefined) throw new ScriptError(`--${name} needs a value`);
  return value;
}

function count(name, fallback) {
  const value = Number(option(name, String(fallback)));
  if (!Number.isInteger(value) || value <= 0) throw new ScriptError(`--${name} needs a positive whole number`);
  return value;
}

const log = (message = '') => process.stdout.write(`${message}\n`);
const row = (name, f) =>
  `  ${name.padEnd(34)} ${String(f.perSecond).padStart(7)} /s   p50 ${String(f.p50Ms).padStart(8)} ms   p99 ${String(f.p99Ms).padStart(8)} ms   (${f.failures} failed)`;

async function main() {
  const seconds = count('seconds', 10);
  const concurrency = count('concurrency', 20);
  const entries = count('entries', 1_000_000);
  const only = option('only', 'all');
  if (!['all', 'a', 'bc'].includes(only)) throw new ScriptError('--only takes a or bc');
  await preflight({ pgAdminUrl: PG_ADMIN_URL, natsUrl: NATS_URL });
  mkdirSync(LOG_DIR, { recursive: true });
  const figures = { machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) } };
  if (only !== 'bc') {
    const a = await benchChannelQueries({ pgAdminUrl: PG_ADMIN_URL, natsUrl: NATS_URL, seconds, concurrency, log, nodes, logDir: LOG_DIR });
    log(`\n(a) ${concurrency} in flight, ${seconds} s each, ${a.rowsPerQuery} rows a query`);
    log(row('raw NATS request/reply (baseline)', a.raw));
    log(row('channel ping, HTTP at Xihu', a.ping));
    log(row('share query, Xihu -> Yinzhou', a.queries));
    const ratio = a.raw.perSecond > 0 ? Number((a.queries.perSecond / a.raw.perSecond).toFixed(3)) : null;
    log(`  queries against raw NATS: ${ratio}`);
    log(`  CPU ms per request: ping: ${cpuText(a.ping.cpuMsPerRequest)}; query: ${cpuText(a.queries.cpuMsPerRequest)}`);
    figures.channel = { ...a, ratioToRawNats: ratio };
  }
  if (only !== 'a') figures.catalog = await benchCatalogSearch({ entries, log });
  return figures;
}

runBenchmark({ main, cleanUp: async () => undefined, nodes });
