#!/usr/bin/env node
// `npm run bench:replication`: upward replication through county 330106 -> city 330100 ->
// province 330000 on the local PostgreSQL and NATS, with a raw JetStream baseline measured in
// the same run on the same server. The last line of output is one JSON object with the figures.
//
//   --changes N    catalog changes for the throughput phase (default 20000)
//   --batch B      entries per bulk request (default 1000, the API's maximum)
//   --inflight K   bulk requests in flight (default 3)
//   --rate R       changes per second for the latency phase (default 200)
//   --seconds S    length of the latency phase (default 15)
//   --raw N        messages for the raw JetStream baseline (default: --changes)
//
// Environment: BENCH_PG_URL (postgres://postgres@localhost:5432/postgres), BENCH_NATS_URL
// (nats://127.0.0.1:4222). Databases tdx_bench_<code> are dropped and created fresh, the NATS
// namespace is new each run, and both are removed at the end.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, nanos } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import pg from 'pg';
import { marketEntry } from './lib/sample-entries.mjs';
import {
  api,
  approveAndAwaitJoins,
  databaseUrl,
  deleteNamespaceStreams,
  dropDatabases,
  freePort,
  localNode,
  percentile,
  preflight,
  recreateDatabases,
  ROOT,
  runBenchmark,
  ScriptError,
  shown,
  sleep,
} from './lib/local-federation.mjs';

const options = parseArgs(process.argv.slice(2), { changes: 20_000, batch: 1000, inflight: 3, rate: 200, seconds: 15, raw: undefined });
options.raw ??= options.changes;
const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@localhost:5432/postgres';
const NATS_URL = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const NAMESPACE = `bench${randomBytes(4).toString('hex')}`;
const CHAIN = [
  { code: '330000', parent: undefined },
  { code: '330100', parent: '330000' },
  { code: '330106', parent: '330100' },
];
const COUNTY = '330106';
const LOG_DIR = join(ROOT, '.tdx/bench/logs');
const WARMUP = 500;
const RAW_WINDOW = 500;

const nodes = new Map();
const keyDir = mkdtempSync(join(tmpdir(), 'tdx-bench-keys-'));
const clients = [];

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
    if (!Number.isFinite(value) || value <= 0) throw new ScriptError(`--${name} needs a positive number`);
    result[name] = value;
  }
  if (result.batch > 1000) throw new ScriptError('--batch is at most 1000 (the bulk endpoint limit)');
  return result;
}

function log(message = '') {
  process.stdout.write(`${message}\n`);
}

const round = (n, digits = 0) => (n === null || n === undefined ? null : Number(n.toFixed(digits)));
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** A realistic data resource: the envelope carrying it is about 1.5 KB. */
function entry(providerId, i) {
  return marketEntry('西湖区', providerId, i);
}

/** The size of the signed envelope that carries a given entry state (as the node builds it). */
function envelopeBytes(state) {
  const payload = JSON.stringify({ v: 1, kind: 'entry.upsert', origin: state.origin, seq: 123456, at: state.updatedAt, body: state });
  return Buffer.byteLength(JSON.stringify({ payload, sig: 'x'.repeat(88) }));
}

async function pgClient(code) {
  const client = new pg.Client({ connectionString: databaseUrl(PG_ADMIN_URL, `tdx_bench_${code}`) });
  await client.connect();
  clients.push(client);
  return client;
}

async function countAt(client) {
  const { rows } = await client.query('SELECT count(*)::int AS n FROM catalog_entry WHERE origin = $1', [COUNTY]);
  return rows[0].n;
}

// ---------------------------------------------------------------------------------------------
// (c) Baseline: raw JetStream publish and consume on a scratch stream of the same server.

async function rawBaseline(count, size) {
  const nc = await connect({ servers: NATS_URL.split(',') });
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const stream = `${NAMESPACE.toUpperCase()}_RAW`;
    const subject = `${NAMESPACE}.raw.bench`;
    // Configured like a node's inbound stream (file storage, work queue, a duplicate window, message ids).
    await jsm.streams.add({
      name: stream,
      subjects: [subject],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: nanos(120_000),
    });
    const payload = Buffer.from('x'.repeat(size));

    let inFlight = 0;
    let failed;
    let wake;
    const publishStart = performance.now();
    for (let i = 0; i < count; i++) {
      while (inFlight >= RAW_WINDOW) await new Promise((resolve) => (wake = resolve));
      if (failed) throw failed;
      inFlight++;
      js.publish(subject, payload, { msgID: `raw:${i}`, timeout: 10_000 })
        .then(
          () => inFlight--,
          (error) => ((failed ??= error), inFlight--),
        )
        .finally(() => {
          const w = wake;
          wake = undefined;
          w?.();
        });
    }
    while (inFlight > 0) await new Promise((resolve) => (wake = resolve));
    if (failed) throw failed;
    const publishSeconds = (performance.now() - publishStart) / 1000;

    await jsm.consumers.add(stream, { durable_name: 'raw', ack_policy: AckPolicy.Explicit, max_ack_pending: 4000 });
    const consumer = await js.consumers.get(stream, 'raw');
    const consumeStart = performance.now();
    const messages = await consumer.consume({ max_messages: 1000 });
    let received = 0;
    for await (const message of messages) {
      message.ack();
      if (++received >= count) break;
    }
    const consumeSeconds = (performance.now() - consumeStart) / 1000;
    await jsm.streams.delete(stream);
    return { publishPerSec: count / publishSeconds, consumePerSec: count / consumeSeconds, publishSeconds, consumeSeconds };
  } finally {
    await nc.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Set-up and tear-down.

async function freshDatabases() {
  await recreateDatabases(
    PG_ADMIN_URL,
    CHAIN.map(({ code }) => `tdx_bench_${code}`),
  );
}

async function startChain() {
  for (const { code, parent } of CHAIN) {
    const node = localNode({
      code,
      parentCode: parent,
      port: await freePort(),
      databaseUrl: databaseUrl(PG_ADMIN_URL, `tdx_bench_${code}`),
      natsUrl: NATS_URL,
      namespace: NAMESPACE,
      keyFile: join(keyDir, `node-${code}.pem`),
      logFile: join(LOG_DIR, `${code}.log`),
      logLevel: 'warn',
    }).launch({ append: false });
    nodes.set(code, node);
    await node.waitHealthy();
  }
  // Each join waits for the operator at the parent: approve them, as an operator would.
  await approveAndAwaitJoins(nodes);
}

async function cleanUp() {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  for (const code of [COUNTY, '330100', '330000'])
    await nodes
      .get(code)
      ?.stop()
      .catch(() => undefined);
  await dropDatabases(
    PG_ADMIN_URL,
    CHAIN.map(({ code }) => `tdx_bench_${code}`),
  ).catch((error) => log(`could not drop the bench databases: ${error.message}`));
  await deleteNamespaceStreams(NATS_URL, NAMESPACE).catch((error) => log(`could not delete the streams of namespace ${NAMESPACE}: ${error.message}`));
  rmSync(keyDir, { recursive: true, force: true });
}

/** Waits until `client` holds `target` of the county's entries; returns performance.now() at that moment. */
async function waitForCount(client, target, label, timeoutMs, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await countAt(client);
    if (n >= target) return performance.now();
    if (Date.now() > deadline) throw new ScriptError(`${label} holds ${n} of ${target} entries after ${timeoutMs / 1000} s; see ${shown(LOG_DIR)}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// (a) Throughput: N changes written through the bulk endpoint, until the province holds them all.

async function throughput(providerId, cityDb, provinceDb) {
  const county = nodes.get(COUNTY);
  const before = await countAt(provinceDb);
  const target = before + options.changes;
  const batches = [];
  for (let i = 0; i < options.changes; i += options.batch) {
    batches.push(Array.from({ length: Math.min(options.batch, options.changes - i) }, (_, k) => entry(providerId, i + k)));
  }
  const timeoutMs = Math.max(120_000, options.changes * 20);
  let next = 0;
  let written = 0;
  const start = performance.now();
  const progress = setInterval(() => {
    void Promise.all([countAt(cityDb), countAt(provinceDb)])
      .then(([city, province]) =>
        log(`  ${((performance.now() - start) / 1000).toFixed(1)} s: written ${fmt(written)}, city ${fmt(city - before)}, province ${fmt(province - before)}`),
      )
      .catch(() => undefined);
  }, 5000);
  try {
    const writer = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        await api(county.url, 'POST', '/api/v1/catalog/entries/bulk', { entries: batch });
        written += batch.length;
      }
    };
    const cityDone = waitForCount(cityDb, target, 'the city', timeoutMs);
    const provinceDone = waitForCount(provinceDb, target, 'the province', timeoutMs);
    await Promise.all(Array.from({ length: options.inflight }, writer));
    const writtenAt = performance.now();
    const [cityAt, provinceAt] = await Promise.all([cityDone, provinceDone]);
    const seconds = (provinceAt - start) / 1000;
    return {
      seconds,
      e2ePerSec: options.changes / seconds,
      countyWriteSeconds: (writtenAt - start) / 1000,
      citySeconds: (cityAt - start) / 1000,
    };
  } finally {
    clearInterval(progress);
  }
}

// ---------------------------------------------------------------------------------------------
// (b) Latency at a steady rate: single POSTs paced at `rate`, each change's first sighting in the
// province's database minus the moment its HTTP response returned.

async function latency(providerId, provinceDb) {
  const county = nodes.get(COUNTY);
  const total = Math.round(options.rate * options.seconds);
  const respondedAt = new Map();
  const updatedAt = new Map();
  const seenAt = new Map();
  const seenWall = new Map();
  const MAX_IN_FLIGHT = 256;
  let inFlight = 0;
  let errors = 0;
  let behind = 0;

  // Province rows arrive in row_seq order (one applier per child link, commits in sequence), so a
  // keyset on row_seq sees every new row exactly once.
  let lastSeq = (await provinceDb.query('SELECT coalesce(max(row_seq), 0)::text AS s FROM catalog_entry')).rows[0].s;
  let polling = true;
  let polls = 0;
  const poller = (async () => {
    while (polling) {
      const { rows } = await provinceDb.query('SELECT id, row_seq::text AS s FROM catalog_entry WHERE row_seq > $1 ORDER BY row_seq', [lastSeq]);
      const now = performance.now();
      const wall = Date.now();
      for (const row of rows) {
        if (!seenAt.has(row.id)) {
          seenAt.set(row.id, now);
          seenWall.set(row.id, wall);
        }
      }
      if (rows.length > 0) lastSeq = rows[rows.length - 1].s;
      polls++;
      await sleep(5);
    }
  })();

  const requests = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / options.rate;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    else if (wait < -50) behind++;
    while (inFlight >= MAX_IN_FLIGHT) await sleep(1);
    inFlight++;
    requests.push(
      api(county.url, 'POST', '/api/v1/catalog/entries', entry(providerId, 1_000_000 + i))
        .then(
          ({ body }) => {
            respondedAt.set(body.id, performance.now());
            updatedAt.set(body.id, Date.parse(body.updatedAt));
          },
          () => errors++,
        )
        .finally(() => inFlight--),
    );
  }
  await Promise.all(requests);
  const sendSeconds = (performance.now() - start) / 1000;
  const deadline = Date.now() + 30_000;
  while ([...respondedAt.keys()].some((id) => !seenAt.has(id)) && Date.now() < deadline) await sleep(20);
  polling = false;
  await poller;

  const fromResponse = [];
  const fromUpdatedAt = [];
  let beforeResponse = 0;
  let missing = 0;
  for (const [id, responded] of respondedAt) {
    if (!seenAt.has(id)) {
      missing++;
      continue;
    }
    const ms = seenAt.get(id) - responded;
    if (ms < 0) beforeResponse++;
    fromResponse.push(Math.max(0, ms));
    fromUpdatedAt.push(seenWall.get(id) - updatedAt.get(id));
  }
  fromResponse.sort((a, b) => a - b);
  fromUpdatedAt.sort((a, b) => a - b);
  return {
    sent: total,
    errors,
    missing,
    behind,
    beforeResponse,
    achievedRate: total / sendSeconds,
    pollIntervalMs: (sendSeconds * 1000) / Math.max(1, polls),
    p50: percentile(fromResponse, 50),
    p90: percentile(fromResponse, 90),
    p99: percentile(fromResponse, 99),
    max: fromResponse.at(-1),
    p50FromUpdatedAt: percentile(fromUpdatedAt, 50),
    p99FromUpdatedAt: percentile(fromUpdatedAt, 99),
  };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  log(`bench:replication: county ${COUNTY} -> city 330100 -> province 330000; NATS namespace ${NAMESPACE}`);
  log(
    `  changes ${options.changes} (bulk ${options.batch} x ${options.inflight} in flight), latency at ${options.rate}/s for ${options.seconds} s, raw baseline ${options.raw} messages`,
  );
  await preflight({ pgAdminUrl: PG_ADMIN_URL, natsUrl: NATS_URL });
  await freshDatabases();
  log(`  fresh databases tdx_bench_{${CHAIN.map((n) => n.code).join(',')}}; node logs (LOG_LEVEL=warn) in ${shown(LOG_DIR)}`);
  await startChain();
  log(`  chain up and joined: ${CHAIN.map(({ code }) => `${code} ${nodes.get(code).url}`).join(', ')}`);

  const county = nodes.get(COUNTY);
  const { body: institution } = await api(county.url, 'POST', '/api/v1/institutions', { name: '杭州市西湖区市场监督管理局', kind: 'government' });
  const [cityDb, provinceDb] = [await pgClient('330100'), await pgClient('330000')];

  // Warm-up: keys known at every tier, code paths compiled, connections open.
  const { body: warm } = await api(county.url, 'POST', '/api/v1/catalog/entries/bulk', {
    entries: Array.from({ length: WARMUP }, (_, i) => entry(institution.id, -1 - i)),
  });
  await waitForCount(provinceDb, WARMUP, 'the province (warm-up)', 60_000);
  const messageBytes = envelopeBytes(warm.items[0]);
  log(`  warm-up: ${WARMUP} entries replicated; one envelope is ${messageBytes} bytes`);

  log(`\n(c) raw JetStream baseline: ${options.raw} messages of ${messageBytes} bytes, ${RAW_WINDOW} publishes in flight, then consume() with acks`);
  const raw = await rawBaseline(options.raw, messageBytes);
  log(`  publish ${fmt(raw.publishPerSec)}/s (${raw.publishSeconds.toFixed(2)} s), consume ${fmt(raw.consumePerSec)}/s (${raw.consumeSeconds.toFixed(2)} s)`);

  log(`\n(a) throughput: ${options.changes} changes at the county through the bulk endpoint`);
  const a = await throughput(institution.id, cityDb, provinceDb);
  log(
    `  county wrote all in ${a.countyWriteSeconds.toFixed(2)} s (${fmt(options.changes / a.countyWriteSeconds)}/s), ` +
      `city held all after ${a.citySeconds.toFixed(2)} s, province after ${a.seconds.toFixed(2)} s`,
  );

  log(`\n(b) latency: ${options.rate} changes/s for ${options.seconds} s, single POSTs, province database polled every ~5 ms`);
  const b = await latency(institution.id, provinceDb);
  log(
    `  sent ${b.sent} at ${b.achievedRate.toFixed(1)}/s (${b.errors} errors, ${b.behind} sent >50 ms late), ${b.missing} never seen; ` +
      `poll period ${b.pollIntervalMs.toFixed(1)} ms`,
  );

  const rawPerSec = Math.min(raw.publishPerSec, raw.consumePerSec);
  const ratio = a.e2ePerSec / rawPerSec;
  const targetsMet = a.e2ePerSec >= 2000 && b.p99 !== null && b.p99 <= 500 && b.missing === 0 && b.errors === 0;
  log('\nsummary');
  log(`  end to end          ${fmt(a.e2ePerSec)} changes/s (${options.changes} changes in ${a.seconds.toFixed(2)} s)     target >= 2,000/s`);
  log(
    `  latency at ${options.rate}/s     p50 ${b.p50?.toFixed(1)} ms, p90 ${b.p90?.toFixed(1)} ms, p99 ${b.p99?.toFixed(1)} ms, max ${b.max?.toFixed(1)} ms   target p99 <= 500 ms`,
  );
  log(`                      (from the entry's updatedAt: p50 ${b.p50FromUpdatedAt} ms, p99 ${b.p99FromUpdatedAt} ms)`);
  log(`  raw JetStream       publish ${fmt(raw.publishPerSec)}/s, consume ${fmt(raw.consumePerSec)}/s`);
  log(`  ratio               ${ratio.toFixed(3)} (end to end / the slower raw direction; one change crosses two hops)`);
  log(`  targets             ${targetsMet ? 'met' : 'NOT met'}`);
  return {
    changes: options.changes,
    e2eChangesPerSec: round(a.e2ePerSec),
    e2eSeconds: round(a.seconds, 3),
    countyWritePerSec: round(options.changes / a.countyWriteSeconds),
    citySeconds: round(a.citySeconds, 3),
    latencyP50Ms: round(b.p50, 1),
    latencyP90Ms: round(b.p90, 1),
    latencyP99Ms: round(b.p99, 1),
    latencyMaxMs: round(b.max, 1),
    latencyP50FromUpdatedAtMs: b.p50FromUpdatedAt,
    latencyP99FromUpdatedAtMs: b.p99FromUpdatedAt,
    rate: options.rate,
    achievedRate: round(b.achievedRate, 1),
    latencySamples: b.sent - b.missing - b.errors,
    latencyMissing: b.missing,
    latencyErrors: b.errors,
    messageBytes,
    rawMessages: options.raw,
    rawPublishPerSec: round(raw.publishPerSec),
    rawConsumePerSec: round(raw.consumePerSec),
    ratio: round(ratio, 4),
    targetsMet,
  };
}

runBenchmark({ main, cleanUp, nodes });
