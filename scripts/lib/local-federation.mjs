// Shared by scripts/demo.mjs and the benchmarks: a federation of built tdx nodes as child processes
// against the local PostgreSQL and NATS (nodes, databases, ports and the JSON client come from the
// test kit, @tdx/testing, built by `npm run build`), and the small checks around that.
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { apiOk, KitError, NODE_MAIN, NodeProcess, provinceAnchor, publicKeyOf, signInAs, SignInError, waitForTrustList, withPg } from '@tdx/testing';

export { KitError, sleep };
export { databaseUrl, deleteNamespaceStreams, freePort, portIsFree, withPg } from '@tdx/testing';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export { NODE_MAIN };

/** A failure the script explains in its message; like the kit's own (KitError), printed without a stack. */
export class ScriptError extends KitError {}

/** Where a path is, said relative to the repository when it is inside it. */
export function shown(path) {
  const rel = relative(ROOT, path);
  return rel.startsWith('..') ? path : rel;
}

/** Drops (if there) and creates each database of `names` on the server of `adminUrl`: fresh and empty. */
export async function recreateDatabases(adminUrl, names) {
  await withPg(adminUrl, async (client) => {
    for (const name of names) {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${name}`);
    }
  });
}

/** Drops each database of `names` that exists, closing whatever is still connected to it. */
export async function dropDatabases(adminUrl, names) {
  await withPg(adminUrl, async (client) => {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/** Fails with a readable message when the build, PostgreSQL or NATS (with JetStream) is missing. */
export async function preflight({ pgAdminUrl, natsUrl }) {
  await preflightDatabase(pgAdminUrl);
  let nc;
  try {
    nc = await connect({ servers: natsUrl.split(','), timeout: 3000 });
  } catch (error) {
    throw new ScriptError(`NATS is not reachable at ${natsUrl} (${error.message}); start nats-server with -js and try again`);
  }
  try {
    await (await jetstreamManager(nc)).getAccountInfo();
  } catch (error) {
    throw new ScriptError(`NATS at ${natsUrl} answers but JetStream does not (${error.message}); start nats-server with -js`);
  } finally {
    await nc.close();
  }
}

/** Fails with a readable message when the build or PostgreSQL is missing (for scripts that start their own nats-servers). */
export async function preflightDatabase(pgAdminUrl) {
  if (!existsSync(NODE_MAIN)) throw new ScriptError(`${shown(NODE_MAIN)} is missing: run \`npm run build\` first`);
  try {
    await withPg(pgAdminUrl, (c) => c.query('SELECT 1'));
  } catch (error) {
    throw new ScriptError(`PostgreSQL is not reachable at ${redact(pgAdminUrl)} (${error.message}); start it (\`.ci/run\` does) and try again`);
  }
}

function redact(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * A random password that meets the node's policy (at least 12 characters of three kinds): 20
 * characters from letters of both cases and digits, with one of each kind placed for certain.
 */
export function generatePassword() {
  const kinds = ['abcdefghijkmnopqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789'];
  const all = kinds.join('');
  const chars = [...kinds.map((k) => k[randomInt(k.length)]), ...Array.from({ length: 17 }, () => all[randomInt(all.length)])];
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

/**
 * The operator's part of joining (a node's joins wait for approval at the parent): approves
 * `child` at `parent` once it has asked, naming the key the child holds (as an operator compares
 * fingerprints), so that no other key asking as that code is approved. Each node is started with a
 * parent that requires it.
 */
export async function approveJoin(parent, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api(parent.url, 'GET', '/api/v1/federation/nodes');
    const publicKey = existsSync(child.keyFile) ? publicKeyOf(child.keyFile) : undefined;
    const asking = body.items.find((n) => n.code === child.code && n.publicKey === publicKey);
    if (asking?.status === 'approved') return;
    if (asking?.status === 'pending') {
      await api(parent.url, 'POST', `/api/v1/federation/nodes/${child.code}/approve`, { publicKey });
      return;
    }
    if (Date.now() > deadline) {
      throw new ScriptError(
        `${child.code} did not ask ${parent.code} to join within ${timeoutMs / 1000} s (${asking ? asking.status : 'no request with its key'}); see ${shown(child.logFile)}`,
      );
    }
    await sleep(100);
  }
}

/**
 * Approves every node's join at its parent (each in `nodes`, a Map by code), then waits until all
 * have joined and each holds a valid trust list naming them all: before that a node trusts no
 * other (fail closed), and a return request would be refused.
 */
export async function approveAndAwaitJoins(nodes, timeoutMs = 60_000) {
  for (const node of nodes.values()) if (node.parentCode) await approveJoin(nodes.get(node.parentCode), node);
  for (const node of nodes.values()) await node.waitJoined();
  const codes = [...nodes.keys()];
  for (const node of nodes.values()) {
    try {
      await waitForTrustList(node.url, codes, timeoutMs);
    } catch (error) {
      throw new ScriptError(`${error.message}; see ${shown(node.logFile)}`);
    }
  }
}

/**
 * A small JSON client for a node's operator API (the kit's apiOk), signed in as the node's admin
 * when localNode registered one; throws on any non-2xx answer unless `expect` lists it.
 */
export async function api(base, method, path, body, { expect = [] } = {}) {
  try {
    return await apiOk(base, method, path, body, { expect });
  } catch (error) {
    if (error instanceof SignInError && error.status === 401) {
      throw new ScriptError(
        `cannot sign in at ${base}: the password does not match the account in the node's database ` +
          '(a database kept from an earlier run whose password is lost? start again with fresh databases, e.g. npm run demo -- --reset)',
      );
    }
    throw error;
  }
}

/**
 * One node of a script's federation: the kit's NodeProcess (not yet launched), its output in
 * `logFile`, in a process group of its own so that a Ctrl-C at the terminal reaches only the
 * script, which then stops each node exactly once (a second signal during Nest's shutdown would
 * cut it short). Its joins wait for the operator's approval at its parent (approveJoin).
 * `adminPassword`: the password of the node's first account `admin` (a random one by default).
 * `trustAnchor`: the province's public key; by default that of `node-<province>.pem` beside `keyFile`.
 */
export function localNode({
  code,
  parentCode,
  port,
  databaseUrl,
  natsUrl,
  namespace,
  keyFile,
  logFile,
  logLevel = 'log',
  adminPassword = generatePassword(),
  trustAnchor = code.endsWith('0000') ? undefined : provinceAnchor(join(dirname(keyFile), `node-${code.slice(0, 2)}0000.pem`)),
}) {
  const node = new NodeProcess({
    code,
    parentCode,
    port,
    logFile,
    host: 'localhost',
    detached: true,
    env: {
      NODE_CODE: code,
      ...(parentCode ? { PARENT_CODE: parentCode } : {}),
      DATABASE_URL: databaseUrl,
      NATS_URL: natsUrl,
      NATS_NAMESPACE: namespace,
      PORT: String(port),
      NODE_KEY_FILE: keyFile,
      ...(trustAnchor ? { TRUST_ANCHOR: trustAnchor } : {}),
      LOG_LEVEL: logLevel,
      // Used only on the node's first start, to create `admin`; the node never logs it.
      ADMIN_PASSWORD: adminPassword,
    },
  });
  signInAs(node.url, 'admin', adminPassword);
  return node;
}

/** Percentile of sorted numbers by nearest rank. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Display width in a terminal: CJK characters take two columns. */
export function width(text) {
  let w = 0;
  for (const ch of String(text)) w += ch.codePointAt(0) >= 0x2e80 ? 2 : 1;
  return w;
}

/** A plain-text table with columns padded to their widest cell. */
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = header.map((_, i) => Math.max(...all.map((r) => width(r[i]))));
  const line = (r) =>
    r
      .map((c, i) => c + ' '.repeat(widths[i] - width(c)))
      .join('  ')
      .trimEnd();
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

/**
 * Runs a benchmark's `main` and always cleans up after it: on success (then prints its figures
 * as one JSON object, the last line), on failure, on Ctrl-C or SIGTERM, and kills any node
 * still running if the process exits anyway.
 */
export function runBenchmark({ main, cleanUp, nodes }) {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stdout.write(`\n${signal}: cleaning up\n`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  process.on('exit', () => {
    for (const n of nodes.values()) n.killNow();
  });
  main().then(
    async (figures) => {
      await cleanUp();
      process.stdout.write(`${JSON.stringify(figures)}\n`);
      process.exit(0);
    },
    async (error) => {
      process.stderr.write(`\nbench failed: ${error instanceof KitError ? error.message : error.stack}\n`);
      await cleanUp();
      process.exit(1);
    },
  );
}
