// Part (a) of `npm run bench:channel`: query round trips through the one channel (Article 10) from a
// county of one city to a county of another, Xihu 330106 (Hangzhou) asking Yinzhou 330212 (Ningbo),
// each node its own process and database, on one NATS server. A client signed in at Xihu sends
// `POST /api/v1/shares/:id/query` (10 rows, four items, two of them masked) with C requests in
// flight: Xihu checks the caller and forwards the signed query through the channel; Yinzhou checks
// the grant, selects and masks the rows, audits, signs its answer; Xihu audits and answers. Beside
// it, in the same run and on the same NATS server: the channel's own round trip (`channel.ping`
// through the same two nodes' HTTP front) and raw NATS request/reply between two bare clients,
// with the same concurrency. Requests per second and p50/p99 of each, and the ratios.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { authHeaders } from '@tdx/testing';
import { cpuMeter } from '../lib/cpu-meter.mjs';
import { api, approveAndAwaitJoins, databaseUrl, freePort, localNode, percentile, ROOT, ScriptError, withPg } from '../lib/local-federation.mjs';

const TREE = [
  { code: '330000', parent: undefined },
  { code: '330100', parent: '330000' },
  { code: '330200', parent: '330000' },
  { code: '330106', parent: '330100' },
  { code: '330212', parent: '330200' },
];
const CONSUMER = '330106';
const PROVIDER = '330212';
const ROWS = 5000;

const ITEMS = [
  { name: 'uscc', type: 'string', sensitive: false },
  { name: 'company', type: 'string', sensitive: false },
  { name: 'legal_person', type: 'string', sensitive: true },
  { name: 'phone', type: 'string', sensitive: true },
  { name: 'status', type: 'string', sensitive: false },
];

/**
 * Runs part (a) and returns its figures. `log` prints a line; `nodes` is the caller's map of
 * running node processes (stopped by the caller's clean-up, also on Ctrl-C).
 */
export async function benchChannelQueries({ pgAdminUrl, natsUrl, seconds, concurrency, log, nodes, logDir }) {
  const namespace = `bch${randomBytes(4).toString('hex')}`;
  const workDir = mkdtempSync(join(tmpdir(), 'tdx-bench-channel-'));
  const dbName = (code) => `tdx_bench_channel_${code}`;
  await withPg(pgAdminUrl, async (client) => {
    for (const { code } of TREE) {
      await client.query(`DROP DATABASE IF EXISTS ${dbName(code)} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${dbName(code)}`);
    }
  });
  const dropDatabases = () =>
    withPg(pgAdminUrl, async (client) => {
      for (const { code } of TREE) await client.query(`DROP DATABASE IF EXISTS ${dbName(code)} WITH (FORCE)`);
    });
  try {
    log(`(a) starting ${TREE.length} nodes (province, Hangzhou, Ningbo, Xihu, Yinzhou) on ${natsUrl}, namespace ${namespace}`);
    for (const { code, parent } of TREE) {
      const node = localNode({
        code,
        parentCode: parent,
        port: await freePort(),
        databaseUrl: databaseUrl(pgAdminUrl, dbName(code)),
        natsUrl,
        namespace,
        keyFile: join(workDir, `node-${code}.pem`),
        logFile: join(logDir, `channel-${code}.log`),
        logLevel: 'warn',
      }).launch({ append: false });
      nodes.set(code, node);
      await node.waitHealthy();
    }
    await approveAndAwaitJoins(nodes);
    const consumer = nodes.get(CONSUMER).url;
    const provider = nodes.get(PROVIDER).url;

    // At Yinzhou: its market regulator, an unconditionally shared L2 dataset of its enterprises.
    const institution = (await api(provider, 'POST', '/api/v1/institutions', { name: '鄞州区市场监督管理局', kind: 'government' })).body;
    const entry = (
      await api(provider, 'POST', '/api/v1/catalog/entries', {
        type: 'data',
        name: '鄞州区市场主体登记信息',
        summary: '鄞州区企业登记信息，供全省各级部门按授权共享使用。',
        providerId: institution.id,
        category: '市场监管',
        grade: 'L2',
        shareType: 'unconditional',
        openType: 'restricted',
        updateCycle: 'daily',
        format: 'csv',
        regionScope: PROVIDER,
        dataItems: ITEMS,
      })
    ).body;
    let csv = `row_key,region_code,${ITEMS.map((i) => i.name).join(',')}\n`;
    for (let i = 0; i < ROWS; i++) {
      csv += `ent-${i},${PROVIDER},91${PROVIDER}${String(i).padStart(10, '0')},宁波某某${i}号有限公司,王某${i % 100},13${String(i).padStart(9, '0')},${i % 4 === 0 ? '注销' : '存续'}\n`;
    }
    const loaded = await fetch(`${provider}/api/v1/datasets/${entry.id}/rows`, {
      method: 'POST',
      headers: { ...(await authHeaders(provider)), 'content-type': 'text/csv' },
      body: csv,
    });
    if (!loaded.ok) throw new ScriptError(`loading rows at ${PROVIDER}: ${loaded.status} ${await loaded.text()}`);

    // At Xihu: the grant, asked once (unconditional: granted at once by Yinzhou), then waited for.
    const ask = {
      entryId: entry.id,
      items: ['uscc', 'company', 'legal_person', 'phone'],
      regions: [PROVIDER],
      purpose: '核查辖区内企业登记信息（基准测试）',
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    };
    // Until the entry has replicated to the province, Xihu finds no such entry (404).
    let share;
    for (let i = 0; !share; i++) {
      const answer = await api(consumer, 'POST', '/api/v1/shares', ask, { expect: [404] });
      if (answer.status !== 404) share = answer.body;
      else if (i > 300) throw new ScriptError(`entry ${entry.id} did not reach the province's catalog within 60 s`);
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await waitForState(consumer, share.id, 'granted');

    const headers = { ...(await authHeaders(consumer)), 'content-type': 'application/json' };
    const query = JSON.stringify({ fields: ['uscc', 'company', 'legal_person', 'phone'], limit: 10 });
    const sample = await httpCall(consumer, 'POST', `/api/v1/shares/${share.id}/query`, headers, query);
    if (sample.status !== 200) throw new ScriptError(`a query through the channel answered ${sample.status}: ${sample.body}`);
    log(`    one answer: ${sample.body.slice(0, 160)}…`);

    // Warm-up, then the three measurements taking turns (the machine's speed drifts).
    await closedLoop(concurrency, 2, () => httpCall(consumer, 'POST', `/api/v1/shares/${share.id}/query`, headers, query));
    const raw = await rawNats(natsUrl, namespace, concurrency, seconds);
    const cpu = await cpuMeter({
      processes: { xihu: [nodes.get(CONSUMER).pid], yinzhou: [nodes.get(PROVIDER).pid] },
      pgAdminUrl,
      databases: TREE.map((n) => dbName(n.code)),
    });
    const ping = await closedLoop(concurrency, seconds, () => httpCall(consumer, 'GET', `/api/v1/federation/channel/${PROVIDER}/ping`, headers));
    ping.cpuMsPerRequest = cpu.perRequest(ping.requests);
    cpu.restart();
    const queries = await closedLoop(concurrency, seconds, () => httpCall(consumer, 'POST', `/api/v1/shares/${share.id}/query`, headers, query));
    queries.cpuMsPerRequest = cpu.perRequest(queries.requests);
    return { raw, ping, queries, rowsPerQuery: 10 };
  } finally {
    for (const code of [...TREE].reverse().map((n) => n.code)) {
      await nodes
        .get(code)
        ?.stop()
        .catch(() => undefined);
      nodes.delete(code);
    }
    await dropDatabases().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function waitForState(url, id, state) {
  for (let i = 0; i < 300; i++) {
    const { body } = await api(url, 'GET', `/api/v1/shares/${id}`);
    if (body.state === state) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new ScriptError(`share request ${id} did not become ${state} within 60 s`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** One HTTP request on a kept-alive connection: its status and body. */
function httpCall(base, method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `concurrency` callers, each calling `call` again as soon as it answers, for `seconds`. */
async function closedLoop(concurrency, seconds, call) {
  const latencies = [];
  let failures = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        const answer = await call();
        if (answer.status === 200 || answer === true) latencies.push(performance.now() - t);
        else failures++;
      }
    }),
  );
  return summarise(latencies, failures, (performance.now() - started) / 1000);
}

function summarise(latencies, failures, elapsedSeconds) {
  const sorted = latencies.sort((a, b) => a - b);
  return {
    requests: sorted.length,
    failures,
    perSecond: Math.round(sorted.length / elapsedSeconds),
    p50Ms: Number(percentile(sorted, 50).toFixed(2)),
    p99Ms: Number(percentile(sorted, 99).toFixed(2)),
  };
}

/** Raw NATS request/reply between two bare clients on the same server: the floor of any channel. */
async function rawNats(natsUrl, namespace, concurrency, seconds) {
  const responder = await connect({ servers: natsUrl });
  const requester = await connect({ servers: natsUrl });
  const subject = `${namespace}.bench.raw`;
  const payload = Buffer.from(JSON.stringify({ fields: ['uscc', 'company', 'legal_person', 'phone'], limit: 10 }));
  const answer = Buffer.alloc(1200, 'x');
  responder.subscribe(subject, { callback: (_e, msg) => msg.respond(answer) });
  await responder.flush();
  try {
    return await closedLoop(concurrency, seconds, async () => {
      await requester.request(subject, payload, { timeout: 5000 });
      return true;
    });
  } finally {
    await requester.close();
    await responder.close();
  }
}

export const CHANNEL_TREE = TREE;
export { ROOT };
