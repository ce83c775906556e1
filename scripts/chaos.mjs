#!/usr/bin/env node
// `npm run test:chaos`: the tree under faults. On a PostgreSQL cluster of its own (initdb in a
// temporary directory, on a free port; the machine's cluster is never touched) it starts a tree
// (scripts/lib/local-tree.mjs), then, while catalog changes are registered at the cities and
// counties and the province's dataset is returned to a city and kept changing, it injects faults
// chosen by a seeded random generator:
//
//   kill-node      SIGKILL a node process, start it again
//   kill-nats      SIGKILL a nats-server, start it again on the same store
//   cut-leaf       SIGSTOP a city's nats-server (its leaf links to the province and to its
//                  counties freeze), SIGCONT after a while
//   terminate-db   pg_terminate_backend on every connection of a node's database
//   restart-pg     crash-restart the suite's own PostgreSQL server (pg_ctl -m immediate)
//   replay         re-publish upward records already delivered (captured on the province's and
//                  the cities' servers), as a fresh message the stream stores again
//
// It prints each fault and how long the tree took to recover from it (every node healthy, every
// link publishing again). Afterwards it checks, and fails unless all hold: every digest agrees;
// every acknowledged catalog change is at its origin and at each ancestor, none lost, none applied
// twice (versions by independent SQL on each database); the returned rows equal the holder's rows
// of the receiver's jurisdiction by an independent SQL query.
//
//   --topology T       small (default) or zhejiang
//   --faults N         faults to inject (default 6: each kind once, in a seeded order)
//   --seed S           the random generator's seed (default 1): the same seed, the same faults
//   --cut-seconds C    how long a leaf link stays cut (default 5)
//   --rows R           rows of the province's dataset at the start (default 3000)
//
// Environment: TDX_PG_BIN (the directory of initdb and pg_ctl; default the newest under /usr/lib/postgresql).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { authHeaders } from '@tdx/testing';
import { api, KitError, ScriptError, sleep, table } from './lib/local-federation.mjs';
import { LocalTree } from './lib/local-tree.mjs';
import { parseOptions } from './lib/options.mjs';
import { OwnedPostgres } from './lib/owned-postgres.mjs';
import { buildTopology } from './lib/topology.mjs';
import { catalogFindings, rowSetFindings } from './lib/chaos-checks.mjs';

const DEFAULTS = { topology: 'small', faults: 6, seed: 1, 'cut-seconds': 5, rows: 3000 };
const KINDS = ['kill-node', 'kill-nats', 'cut-leaf', 'terminate-db', 'restart-pg', 'replay'];
const options = parseOptions(process.argv.slice(2), DEFAULTS, { strings: ['topology'] });
const NAMESPACE = 'chaos';
const RECOVERY_TIMEOUT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 15_000;

const log = (message = '') => process.stdout.write(`${message}\n`);

/** mulberry32: a small seeded generator, so that a seed names one run's faults and targets. */
function seeded(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: (list) => list[Math.floor(next() * list.length)] };
}

// Two generators from the seed: the faults and their targets draw from one, the workload (whose
// pace depends on the machine) from the other, so that a seed always names the same faults.
const faultRandom = seeded(options.seed);
const workRandom = seeded(options.seed ^ 0x5eed);
const topology = buildTopology(options.topology, { hosting: true });
const PROVINCE = topology.nodes[0].code;
/** The return: the province's dataset to the first city, its whole subtree. */
const RECEIVER = topology.nodes.find((n) => n.level === 'city').code;
let ownedPg;
let tree;
const natsClients = [];

/** A request that gives up after REQUEST_TIMEOUT_MS (a node whose database is down may hold it). */
async function call(url, method, path, body) {
  return Promise.race([api(url, method, path, body), sleep(REQUEST_TIMEOUT_MS).then(() => ({ status: 0, body: 'timed out' }))]);
}

// ---------------------------------------------------------------------------------------------
// The catalog workload: creations, updates and retirements at the cities and counties. Every
// change the API acknowledged is remembered; one whose answer did not come may or may not have
// happened, and marks its entry uncertain.

const acked = new Map(); // id -> { origin, version, status, uncertain }
const workload = { created: 0, updated: 0, retired: 0, unanswered: 0, stop: false };

async function registrar() {
  const writers = topology.nodes.filter((n) => n.level !== 'province').map((n) => n.code);
  const providers = new Map();
  for (const code of writers) {
    const { body } = await api(tree.nodes.get(code).url, 'POST', '/api/v1/institutions', { name: `${code} 市场监督管理局`, kind: 'government' });
    providers.set(code, body.id);
  }
  let serial = 0;
  while (!workload.stop) {
    const origin = workRandom.pick(writers);
    const url = tree.nodes.get(origin).url;
    const mine = [...acked].filter(([, e]) => e.origin === origin && e.status === 'active');
    const roll = workRandom.next();
    try {
      if (roll < 0.6 || mine.length === 0) {
        const batch = Array.from({ length: 5 }, () => entry(providers.get(origin), ++serial));
        const answer = await call(url, 'POST', '/api/v1/catalog/entries/bulk', { entries: batch });
        if (answer.status === 201 || answer.status === 200) {
          for (const e of answer.body.items) acked.set(e.id, { origin, version: e.version, status: e.status, uncertain: false });
          workload.created += answer.body.items.length;
        } else workload.unanswered++;
      } else {
        const [id, known] = workRandom.pick(mine);
        const retire = roll > 0.9;
        const answer = retire
          ? await call(url, 'DELETE', `/api/v1/catalog/entries/${id}`)
          : await call(url, 'PATCH', `/api/v1/catalog/entries/${id}`, { summary: `第${++serial}次核验后的说明。` });
        if (answer.status === 200) {
          Object.assign(known, { version: answer.body.version, status: answer.body.status });
          workload[retire ? 'retired' : 'updated']++;
        } else {
          known.uncertain = true;
          workload.unanswered++;
        }
      }
    } catch {
      workload.unanswered++;
    }
    await sleep(100);
  }
}

function entry(providerId, i) {
  return {
    type: 'data',
    name: `故障演练数据集 ${i}`,
    summary: '故障演练期间登记的目录条目。',
    providerId,
    category: '市场监管',
    grade: 'L1',
    shareType: 'unconditional',
    openType: 'unconditional',
    updateCycle: 'daily',
    format: 'csv',
    dataItems: [{ name: '名称', type: 'string', sensitive: false }],
  };
}

// ---------------------------------------------------------------------------------------------
// The return: the province holds rows for every county of the tree; the first city asks for its
// subtree; the province keeps loading and deleting rows while the faults run.

const returned = { entryId: undefined, requestId: undefined, version: 0, loads: 0, deletes: 0 };
const REGIONS = topology.nodes.filter((n) => n.level === 'county').map((n) => n.code);

function rowsCsv(from, count, version) {
  const lines = ['row_key,region_code,名称,注册资本'];
  for (let i = from; i < from + count; i++) lines.push(`r${i},${REGIONS[i % REGIONS.length]},企业${i}（第${version}版）,${(i * 10 + version).toFixed(2)}`);
  return `${lines.join('\n')}\n`;
}

async function loadRows(csv) {
  const url = tree.nodes.get(PROVINCE).url;
  const response = await fetch(`${url}/api/v1/datasets/${returned.entryId}/rows`, {
    method: 'POST',
    headers: { ...(await authHeaders(url)), 'content-type': 'text/csv; charset=utf-8' },
    body: csv,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (response.status !== 200) throw new ScriptError(`loading rows at the province answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
}

async function startReturn() {
  const province = tree.nodes.get(PROVINCE).url;
  const { body: institution } = await api(province, 'POST', '/api/v1/institutions', { name: '浙江省市场监督管理局', kind: 'government' });
  const { body: dataEntry } = await api(province, 'POST', '/api/v1/catalog/entries', {
    ...entry(institution.id, 0),
    name: '全省市场主体名录（演练）',
    dataItems: [
      { name: '名称', type: 'string', sensitive: false },
      { name: '注册资本', type: 'decimal', sensitive: false },
    ],
  });
  returned.entryId = dataEntry.id;
  await loadRows(rowsCsv(0, options.rows, 0));
  const { body: request } = await api(tree.nodes.get(RECEIVER).url, 'POST', '/api/v1/returns/requests', {
    entryId: dataEntry.id,
    holder: PROVINCE,
    scope: 'subtree',
    purpose: '故障演练：本市辖区市场主体名录回流',
  });
  if (request.state !== 'granted') throw new ScriptError(`the return request is ${request.state}, expected granted (unconditional sharing)`);
  returned.requestId = request.id;
}

/** Between faults: the holder changes a slice of its rows (new values, new rows, some deleted), and the receiver asks for a sync. */
async function changeHeldRows() {
  returned.version++;
  const from = Math.floor(workRandom.next() * options.rows);
  try {
    await loadRows(rowsCsv(from, 200, returned.version));
    returned.loads++;
    const url = tree.nodes.get(PROVINCE).url;
    const keys = Array.from({ length: 20 }, (_, k) => `r${(from + k * 7) % options.rows}`);
    const answer = await call(url, 'POST', `/api/v1/datasets/${returned.entryId}/rows/delete`, { rowKeys: keys });
    if (answer.status === 200) returned.deletes++;
  } catch (error) {
    log(`    (the province refused a change of its rows now: ${error.message}; the next one will do)`);
  }
  await call(tree.nodes.get(RECEIVER).url, 'POST', `/api/v1/returns/requests/${returned.requestId}/sync`).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------
// Replays: what the province's and the cities' servers carried upward, captured as it passed.

const captured = [];
/** The upward streams of the province and the cities, each with a connection to its server. */
const upStreams = [];

/** Messages the upward streams have ever stored, in all (the sum of their last sequences). */
async function storedUpward() {
  let total = 0;
  for (const { nc, stream } of upStreams) {
    const jsm = await jetstreamManager(nc);
    // Work-queue streams drop what was acknowledged: the last sequence counts what they ever stored.
    total += (await jsm.streams.info(stream)).state.last_seq;
  }
  return total;
}

async function captureUpward() {
  for (const node of topology.nodes.filter((n) => n.level !== 'county')) {
    const server = tree.serverOf(node.code);
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    natsClients.push(nc);
    upStreams.push({ nc, stream: `${NAMESPACE.toUpperCase()}_UP_${node.code}` });
    nc.subscribe(`${NAMESPACE}.up.${node.code}.*`, {
      callback: (error, msg) => {
        if (error || captured.length >= 500) return;
        captured.push({ nc, subject: msg.subject, data: msg.data, headers: msg.headers });
      },
    });
  }
}

/** Re-publishes up to 50 captured records as new messages (no Nats-Msg-Id, so the stream stores them again). */
async function replay() {
  // Something to replay: the workload's first records, should the replay come first.
  for (let waited = 0; captured.length < 10 && waited < 15_000; waited += 200) await sleep(200);
  if (captured.length === 0) throw new ScriptError('no upward record was captured to replay');
  const before = await storedUpward();
  // Which records: from the workload's generator (how many were captured depends on the pace).
  const chosen = captured.filter(() => workRandom.next() < 0.5);
  const sample = (chosen.length > 0 ? chosen : captured).slice(0, 50);
  for (const m of sample) {
    const h = natsHeaders();
    if (m.headers) for (const [key, values] of m.headers) if (key.toLowerCase() !== 'nats-msg-id') for (const v of values) h.append(key, v);
    m.nc.publish(m.subject, m.data, { headers: h });
  }
  for (const nc of natsClients) await nc.flush().catch(() => undefined);
  // The streams must have taken them: else the replay tested nothing. (New records may be stored meanwhile too.)
  const stored = (await storedUpward()) - before;
  if (stored < sample.length) throw new ScriptError(`the upward streams stored ${stored} messages after ${sample.length} were re-published`);
  return `${sample.length} of ${captured.length} captured upward records re-published; the streams stored them again`;
}

// ---------------------------------------------------------------------------------------------
// Faults.

async function healthy(node) {
  try {
    const response = await fetch(`${node.url}/health`, { signal: AbortSignal.timeout(2000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Recovered: every node healthy, and every node's parent link joined and publishing (backlog drained, or published since `healedAt`). */
async function waitRecovered(healedAt) {
  const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
  let waiting = [];
  while (Date.now() < deadline) {
    waiting = [];
    for (const node of tree.nodes.values()) {
      if (!node.running || !(await healthy(node))) {
        waiting.push(`${node.code} not healthy`);
        continue;
      }
      if (!node.parentCode) continue;
      const { status, body } = await call(node.url, 'GET', '/api/v1/federation/status');
      const parent = body?.parent;
      const publishing = parent && parent.joined && (parent.outboxBacklog === 0 || Date.parse(parent.lastPublishedAt ?? 0) > healedAt);
      if (status !== 200 || !publishing) waiting.push(`${node.code} link to ${node.parentCode} ${parent ? `backlog ${parent.outboxBacklog}` : 'unknown'}`);
    }
    if (waiting.length === 0) return Date.now() - healedAt;
    await sleep(200);
  }
  throw new ScriptError(`no recovery within ${RECOVERY_TIMEOUT_MS / 1000} s: ${waiting.join('; ')}`);
}

async function inject(kind) {
  const nodeCodes = [...tree.nodes.keys()];
  switch (kind) {
    case 'kill-node': {
      const node = tree.nodes.get(faultRandom.pick(nodeCodes));
      // Expected: the tree's watcher does not report it (a hosted node's process is its host).
      (node.host ?? node).expectedExit = true;
      await node.kill('SIGKILL');
      await sleep(1000);
      node.launch();
      const hosted = tree.byCode.get(node.code).process;
      const target = hosted === node.code ? `node ${node.code}` : `node ${node.code} (process ${tree.processLabel(hosted)})`;
      return { target, detail: 'SIGKILL, started again after 1 s', healed: Date.now() };
    }
    case 'kill-nats': {
      const id = faultRandom.pick([...tree.servers.keys()]);
      const server = tree.servers.get(id);
      await server.signal('SIGKILL');
      await sleep(1000);
      await server.restart();
      return { target: `nats-server of ${id}`, detail: 'SIGKILL, started again on its store after 1 s', healed: Date.now() };
    }
    case 'cut-leaf': {
      const city = faultRandom.pick(topology.nodes.filter((n) => n.level === 'city' && tree.servers.has(n.code))).code;
      const server = tree.servers.get(city);
      await server.signal('SIGSTOP');
      await sleep(options['cut-seconds'] * 1000);
      await server.signal('SIGCONT');
      return { target: `nats-server of ${city}`, detail: `SIGSTOP for ${options['cut-seconds']} s (its leaf links frozen), then SIGCONT`, healed: Date.now() };
    }
    case 'terminate-db': {
      const code = faultRandom.pick(nodeCodes);
      const { rows } = await withAdmin((c) =>
        c.query('SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [tree.dbName(code)]),
      );
      return { target: `database of ${code}`, detail: `pg_terminate_backend on ${rows.length} connection(s)`, healed: Date.now() };
    }
    case 'restart-pg': {
      ownedPg.restart('immediate');
      return { target: `PostgreSQL on port ${ownedPg.port}`, detail: 'pg_ctl restart -m immediate (a crash; recovery from WAL)', healed: Date.now() };
    }
    case 'replay':
      return { target: 'province and city servers', detail: await replay(), healed: Date.now() };
    default:
      throw new ScriptError(`unknown fault ${kind}`);
  }
}

async function withAdmin(action) {
  const client = new pg.Client({ connectionString: ownedPg.adminUrl });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The fault plan: every kind once per round (shuffled by the seed), as many rounds as needed. */
function plan(count) {
  const kinds = [];
  while (kinds.length < count) {
    const round = [...KINDS];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(faultRandom.next() * (i + 1));
      [round[i], round[j]] = [round[j], round[i]];
    }
    kinds.push(...round);
  }
  return kinds.slice(0, count);
}

// ---------------------------------------------------------------------------------------------
// The checks, each by SQL on the databases themselves.

async function rowsOf(code, sql, params) {
  const client = new pg.Client({ connectionString: tree.dbUrl(code) });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checks() {
  const results = [];
  const check = (name, failures) => results.push({ name, ok: failures.length === 0, failures });

  // 1. Digests.
  let agreedMs = null;
  try {
    agreedMs = await tree.waitForAgreement(RECOVERY_TIMEOUT_MS);
    check(`every digest agrees (${agreedMs} ms after the workload stopped)`, []);
  } catch (error) {
    check('every digest agrees', [error.message]);
  }

  // 2. Catalog: each origin's entries as its own database holds them, against each ancestor's copy.
  const byNode = new Map();
  for (const code of tree.nodes.keys()) {
    byNode.set(code, new Map((await rowsOf(code, 'SELECT id, origin, version, status FROM catalog_entry')).map((r) => [r.id, r])));
  }
  const { lost, doubled, differ } = catalogFindings({ byNode, acked, ancestorsOf: (code) => tree.ancestorsOf(code) });
  check(`no acknowledged catalog change lost (${acked.size} entries acknowledged)`, lost);
  check(`no catalog change applied twice (${[...acked.values()].filter((e) => !e.uncertain).length} entries whose every change was answered)`, doubled);
  check('every ancestor holds each origin’s entries at the origin’s version (SQL on each database)', differ);

  // 3. The return: a last sync, then the receiver's rows against the holder's, by SQL on each side.
  const receiver = tree.nodes.get(RECEIVER).url;
  const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
  // A job made after the faults and the last change of the rows, done: until then ask for one (a
  // job still running from before answers 409; a failed one is retried by asking again).
  const since = new Date();
  let synced = false;
  while (!synced && Date.now() < deadline) {
    await call(receiver, 'POST', `/api/v1/returns/requests/${returned.requestId}/sync`);
    const [latest] = await rowsOf(RECEIVER, 'SELECT state, created_at FROM return_job WHERE request_id = $1 ORDER BY row_seq DESC LIMIT 1', [
      returned.requestId,
    ]);
    synced = latest?.state === 'done' && latest.created_at >= since;
    if (!synced) await sleep(500);
  }
  check('a last transfer of the return, asked for after the faults, is done', synced ? [] : [`none done within ${RECOVERY_TIMEOUT_MS / 1000} s`]);
  const prefix = RECEIVER.slice(0, 4);
  const held = await rowsOf(
    PROVINCE,
    `SELECT row_key, region_code, data FROM dataset_row WHERE entry_id = $1 AND region_code LIKE $2 AND NOT deleted ORDER BY row_key`,
    [returned.entryId, `${prefix}%`],
  );
  const got = await rowsOf(RECEIVER, 'SELECT row_key, region_code, data FROM returned_row WHERE request_id = $1 ORDER BY row_key', [returned.requestId]);
  check(`the returned rows at ${RECEIVER} equal the province's rows of ${prefix}* (${held.length} held, ${got.length} returned)`, rowSetFindings(held, got));
  return results;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  log(`test:chaos: topology ${topology.name}, ${options.faults} faults, seed ${options.seed}`);
  const nodesCount = topology.nodes.length;
  ownedPg = await OwnedPostgres.start({ maxConnections: nodesCount * 15 + 50 });
  log(`  own PostgreSQL cluster on 127.0.0.1:${ownedPg.port} (${ownedPg.dir}${ownedPg.runAs ? `, run as ${ownedPg.runAs}` : ''})`);
  tree = new LocalTree({
    topology,
    label: 'chaos',
    pgAdminUrl: ownedPg.adminUrl,
    workDir: mkdtempSync(join(tmpdir(), 'tdx-chaos-')),
    namespace: NAMESPACE,
    log,
  });
  await tree.start();
  await captureUpward();
  await startReturn();
  log(`  the province holds ${options.rows} rows; ${RECEIVER} asked for its subtree (request ${returned.requestId})`);

  const running = registrar();
  const faults = [];
  for (const kind of plan(options.faults)) {
    await sleep(2000);
    await changeHeldRows();
    const started = Date.now();
    const fault = await inject(kind);
    log(`  fault ${faults.length + 1}: ${kind} on ${fault.target}: ${fault.detail}`);
    let recoveredMs = null;
    let error;
    try {
      recoveredMs = await waitRecovered(fault.healed);
    } catch (e) {
      error = e.message;
    }
    faults.push({ kind, ...fault, injectedMs: fault.healed - started, recoveredMs, error });
    log(`    ${error ? `NOT recovered: ${error}` : `recovered ${recoveredMs} ms after it was healed`}`);
  }
  await changeHeldRows();
  workload.stop = true;
  await running;
  log(
    `\nworkload: ${workload.created} entries created, ${workload.updated} updated, ${workload.retired} retired (acknowledged); ${workload.unanswered} requests refused or unanswered during faults; ` +
      `the province changed its rows ${returned.loads} times and deleted some ${returned.deletes} times; ${captured.length} upward records captured`,
  );
  log(
    `\n${table(
      ['#', 'fault', 'target', 'what', 'recovered after heal (ms)'],
      faults.map((f, i) => [i + 1, f.kind, f.target, f.detail, f.error ? `NOT: ${f.error.slice(0, 60)}` : f.recoveredMs]),
    )}`,
  );

  const results = await checks();
  log('');
  for (const r of results) {
    log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name}`);
    for (const f of r.failures.slice(0, 10)) log(`        ${f}`);
  }
  const unrecovered = faults.filter((f) => f.error).length;
  const passed = results.filter((r) => r.ok).length + faults.length - unrecovered;
  const failed = results.length - results.filter((r) => r.ok).length + unrecovered;
  // Not "N passed, N failed" alone: CI reads such a line as the count of the whole test run.
  log(`\nchaos: ${passed} checks passed, ${failed} failed (seed ${options.seed})`);
  return failed === 0;
}

/** Stops everything; keeps the nodes' logs when the run failed. */
async function cleanUp(ok) {
  workload.stop = true;
  for (const nc of natsClients) await nc.close().catch(() => undefined);
  if (tree) {
    await tree.stop().catch(() => undefined);
    if (ok) tree.removeWorkDir();
    else log(`the nodes' logs are kept in ${tree.workDir}/logs, the nats-servers' in ${tree.workDir}/nats`);
  }
  ownedPg?.stop();
}

let signalled = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (signalled) process.exit(130);
    signalled = true;
    log(`\n${signal}: cleaning up`);
    void cleanUp(true).finally(() => process.exit(130));
  });
}
process.on('exit', () => {
  tree?.killNow();
  try {
    ownedPg?.stop();
  } catch {
    // Exiting anyway.
  }
});

main().then(
  async (ok) => {
    await cleanUp(ok);
    process.exit(ok ? 0 : 1);
  },
  async (error) => {
    process.stderr.write(`\nchaos failed: ${error instanceof KitError ? error.message : error.stack}\n`);
    await cleanUp(false).catch(() => undefined);
    process.exit(1);
  },
);
