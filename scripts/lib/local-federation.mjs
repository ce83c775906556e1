// Shared by scripts/demo.mjs and scripts/bench-replication.mjs: running built tdx nodes as child
// processes against the local PostgreSQL and NATS, and the small checks around that.
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomInt } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

export { sleep };

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// TDX_NODE_MAIN runs another build of the node (for example to compare two builds in benchmarks).
export const NODE_MAIN = process.env.TDX_NODE_MAIN ? resolve(process.env.TDX_NODE_MAIN) : join(ROOT, 'apps/node/dist/main.js');

export class ScriptError extends Error {}

const NODE_VARIABLES = ['NODE_CODE', 'PARENT_CODE', 'DATABASE_URL', 'NATS_URL', 'NATS_NAMESPACE', 'PORT', 'NODE_KEY_FILE', 'NODE_NAME', 'LOG_LEVEL',
  'ADMIN_PASSWORD', 'ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_TTL', 'METRICS_TOKEN', 'JOIN_APPROVAL', 'TRUST_LIST_TTL', 'TRUST_REFRESH', 'TRUST_ANCHOR'];

/**
 * The public key (base64url, as TRUST_ANCHOR takes it) of the province's key in `keyFile`, creating
 * the key (PKCS#8 PEM, mode 0600, as the node would) when absent: the scripts install the anchor
 * on every other node before any of them starts, as an operator does out of band.
 */
export function provinceAnchor(keyFile) {
  if (!existsSync(keyFile)) {
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  }
  return publicKeyOf(keyFile);
}

/** The public key (base64url) of the Ed25519 private key in `keyFile`. */
export function publicKeyOf(keyFile) {
  return String(createPublicKey(createPrivateKey(readFileSync(keyFile, 'utf8'))).export({ format: 'jwk' }).x);
}

/** Where a path is, said relative to the repository when it is inside it. */
export function shown(path) {
  const rel = relative(ROOT, path);
  return rel.startsWith('..') ? path : rel;
}

export function databaseUrl(adminUrl, name) {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withPg(url, action) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Fails with a readable message when the build, PostgreSQL or NATS (with JetStream) is missing. */
export async function preflight({ pgAdminUrl, natsUrl }) {
  if (!existsSync(NODE_MAIN)) throw new ScriptError(`${shown(NODE_MAIN)} is missing: run \`npm run build\` first`);
  try {
    await withPg(pgAdminUrl, (c) => c.query('SELECT 1'));
  } catch (error) {
    throw new ScriptError(`PostgreSQL is not reachable at ${redact(pgAdminUrl)} (${error.message}); start it (\`.ci/run\` does) and try again`);
  }
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

function redact(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** True when nothing listens on the port and it can be bound on all interfaces, as a node binds it. */
export async function portIsFree(port) {
  const answers = await new Promise((resolveConnect) => {
    const socket = new Socket();
    const done = (value) => (socket.destroy(), resolveConnect(value));
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1');
  });
  if (answers) return false;
  return new Promise((resolveBind) => {
    const server = createServer();
    server.once('error', () => resolveBind(false));
    server.listen(port, () => server.close(() => resolveBind(true)));
  });
}

export async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
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

/** Who `api()` signs in as at each node URL, and the access token it holds there. */
const signIns = new Map();

/** Makes `api(base, ...)` sign in at `base` (NodeProcess does this for its node's admin). */
export function signInAs(base, username, password) {
  signIns.set(base, { username, password, token: undefined });
}

/** An access token at `base` as the registered account (signing in when there is none yet, or `fresh`). */
export async function accessToken(base, fresh = false) {
  const who = signIns.get(base);
  if (!who) throw new ScriptError(`no account to sign in with at ${base}`);
  if (fresh || !who.token) {
    const { status, body } = await send(base, 'POST', '/api/v1/auth/login', { username: who.username, password: who.password }, undefined, [401]);
    if (status === 401) {
      throw new ScriptError(`cannot sign in as ${who.username} at ${base}: the password does not match the account in the node's database ` +
        '(a database kept from an earlier run whose password is lost? start again with fresh databases, e.g. npm run demo -- --reset)');
    }
    who.token = body.accessToken;
  }
  return who.token;
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
      throw new ScriptError(`${child.code} did not ask ${parent.code} to join within ${timeoutMs / 1000} s (${asking ? asking.status : 'no request with its key'}); see ${shown(child.logFile)}`);
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
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await api(node.url, 'GET', '/api/v1/federation/trust-list');
      const named = new Set((body.nodes ?? []).map((n) => n.code));
      if (body.state === 'valid' && codes.every((code) => named.has(code))) break;
      if (Date.now() > deadline) {
        throw new ScriptError(`node ${node.code} holds no valid trust list naming ${codes.join(', ')} after ${timeoutMs / 1000} s (${body.state}); see ${shown(node.logFile)}`);
      }
      await sleep(100);
    }
  }
}

/**
 * A small JSON client for a node's operator API, signed in as the node's admin when NodeProcess
 * registered one (again after a 401: tokens live 15 minutes); throws on any non-2xx answer unless
 * `expect` lists it.
 */
export async function api(base, method, path, body, { expect = [] } = {}) {
  if (!signIns.has(base)) return send(base, method, path, body, undefined, expect);
  const first = await send(base, method, path, body, await accessToken(base), [...expect, 401]);
  if (first.status !== 401 || expect.includes(401)) return first;
  return send(base, method, path, body, await accessToken(base, true), expect);
}

async function send(base, method, path, body, token, expect) {
  const headers = body === undefined ? {} : { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  if (!response.ok && !expect.includes(response.status)) {
    const detail = typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
    throw new ScriptError(`${method} ${base}${path} answered ${response.status}: ${detail.slice(0, 800)}`);
  }
  return { status: response.status, body: parsed };
}

/**
 * One node as its own OS process running the built service. It runs in its own process group,
 * so a Ctrl-C at the terminal reaches only the script, which then stops each node exactly once
 * (a second signal during Nest's shutdown would cut it short).
 */
export class NodeProcess {
  /**
   * `adminPassword`: the password of the node's first account `admin` (a random one by default).
   * `trustAnchor`: the province's public key; by default that of `node-<province>.pem` beside `keyFile`.
   */
  constructor({ code, parentCode, port, databaseUrl: dbUrl, natsUrl, namespace, keyFile, logFile, logLevel = 'log', adminPassword = generatePassword(),
    trustAnchor = code.endsWith('0000') ? undefined : provinceAnchor(join(dirname(keyFile), `node-${code.slice(0, 2)}0000.pem`)) }) {
    Object.assign(this, { code, parentCode, port, logFile, keyFile });
    this.url = `http://localhost:${port}`;
    this.adminPassword = adminPassword;
    signInAs(this.url, 'admin', adminPassword);
    this.env = {
      NODE_CODE: code,
      ...(parentCode ? { PARENT_CODE: parentCode } : {}),
      DATABASE_URL: dbUrl,
      NATS_URL: natsUrl,
      NATS_NAMESPACE: namespace,
      PORT: String(port),
      NODE_KEY_FILE: keyFile,
      ...(trustAnchor ? { TRUST_ANCHOR: trustAnchor } : {}),
      LOG_LEVEL: logLevel,
      // Used only on the node's first start, to create `admin`; the node never logs it.
      ADMIN_PASSWORD: adminPassword,
    };
    this.child = undefined;
    this.exited = undefined;
  }

  start({ append = true } = {}) {
    mkdirSync(dirname(this.logFile), { recursive: true });
    const fd = openSync(this.logFile, append ? 'a' : 'w');
    writeSync(fd, `\n=== ${new Date().toISOString()} starting node ${this.code} on port ${this.port} ===\n`);
    // The node's variables come from here only: none leaks in from the caller's environment.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !NODE_VARIABLES.includes(name)));
    Object.assign(env, this.env, { NO_COLOR: '1' });
    this.child = spawn(process.execPath, [NODE_MAIN], { cwd: ROOT, env, stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    this.exited = new Promise((resolveExit) => this.child.once('exit', (code, signal) => resolveExit({ code, signal })));
    this.exitInfo = undefined;
    void this.exited.then((info) => (this.exitInfo = info));
    return this;
  }

  get running() {
    return this.child !== undefined && this.exitInfo === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines of the node's log, for error messages. */
  logTail(lines = 15) {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** A current access token of the node's admin (for a `tdx` child process: TDX_TOKEN). */
  accessToken() {
    return accessToken(this.url);
  }

  /** Waits until /health answers 200 (database and NATS up); fails early if the process exits. */
  async waitHealthy(timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new ScriptError(`node ${this.code} exited during start-up (${JSON.stringify(this.exitInfo)}); last lines of ${shown(this.logFile)}:\n${this.logTail()}`);
      }
      try {
        const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) });
        if (response.status === 200) return;
        last = `${response.status} ${await response.text()}`;
      } catch (error) {
        last = error.cause?.code ?? error.message;
      }
      await sleep(200);
    }
    throw new ScriptError(`node ${this.code} was not healthy after ${timeoutMs / 1000} s (${last}); see ${shown(this.logFile)}:\n${this.logTail()}`);
  }

  /** Waits until the node has joined its parent; names the link's last error on time-out. */
  async waitJoined(timeoutMs = 60_000) {
    if (!this.parentCode) return;
    const deadline = Date.now() + timeoutMs;
    let lastError = null;
    while (Date.now() < deadline) {
      const { body } = await api(this.url, 'GET', '/api/v1/federation/status');
      if (body.parent?.joined) return;
      lastError = body.parent?.lastError ?? lastError;
      await sleep(200);
    }
    throw new ScriptError(`node ${this.code} did not join its parent ${this.parentCode} within ${timeoutMs / 1000} s` +
      (lastError ? `: ${lastError}` : '') + `; see ${shown(this.logFile)}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000) {
    if (!this.running) return this.exitInfo;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), graceMs);
    const info = await this.exited;
    clearTimeout(timer);
    return info;
  }

  /** Last resort when the script itself is exiting: synchronous, no waiting. */
  killNow() {
    if (this.running) this.child.kill('SIGTERM');
  }
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
  const line = (r) => r.map((c, i) => c + ' '.repeat(widths[i] - width(c))).join('  ').trimEnd();
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
      process.stderr.write(`\nbench failed: ${error instanceof ScriptError ? error.message : error.stack}\n`);
      await cleanUp();
      process.exit(1);
    },
  );
}

/** Deletes the streams of one NATS namespace (a bench run's, or the demo's on --reset). */
export async function deleteNamespaceStreams(natsUrl, namespace) {
  const nc = await connect({ servers: natsUrl.split(',') });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`${namespace.toUpperCase()}_`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}
