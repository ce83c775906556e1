// Test support for the CLI's integration tests: real nodes (the built service, each its own process,
// database and NATS namespace) and the built `tdx` run as a child process. A small copy of what
// apps/node/test/support does, because one app's tests may not import another app's files.
import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

export const ROOT = resolve(__dirname, '../../../..');
export const NODE_MAIN = join(ROOT, 'apps/node/dist/main.js');
export const CLI_MAIN = join(ROOT, 'apps/cli/dist/main.js');
export const PG_ADMIN_URL = process.env.TDX_TEST_PG ?? 'postgres://postgres@localhost:5432/postgres';
export const SHARED_NATS_URL = process.env.TDX_TEST_NATS ?? 'nats://127.0.0.1:4222';
/** Test nodes create their `admin` with this password (ADMIN_PASSWORD). */
export const ADMIN_PASSWORD = 'Cli-Test-Passw0rd';
/** Where the tdx runs of one test file keep their sessions (XDG_CONFIG_HOME), away from the user's own. */
export const CLI_CONFIG_HOME = mkdtempSync(join(tmpdir(), 'tdx-cli-config-'));

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const socket = new Socket();
    socket.once('connect', () => (socket.destroy(), resolveOpen(true)));
    socket.once('error', () => (socket.destroy(), resolveOpen(false)));
    socket.connect(port, '127.0.0.1');
  });
}

export interface TestDatabase {
  name: string;
  url: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

async function withAdmin<T>(action: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database, dropped afterwards. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `tdx_test_${label}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    name,
    url,
    query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
    drop: async () => {
      await client.end().catch(() => undefined);
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export function testNamespace(): string {
  return `t${Math.random().toString(36).slice(2, 10)}`;
}

export async function deleteNamespaceStreams(natsUrl: string, namespace: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`${namespace.toUpperCase()}_`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}

/**
 * The province's key of a test federation (one per namespace), made before any node starts: the
 * province signs with it, and every other node gets its public key as TRUST_ANCHOR.
 */
const provinceKeys = new Map<string, { keyFile: string; publicKey: string }>();

function provinceKey(namespace: string): { keyFile: string; publicKey: string } {
  let key = provinceKeys.get(namespace);
  if (!key) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyFile = join(mkdtempSync(join(tmpdir(), 'tdx-cli-anchor-')), 'province.pem');
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    key = { keyFile, publicKey: String(publicKey.export({ format: 'jwk' }).x) };
    provinceKeys.set(namespace, key);
  }
  return key;
}

/** One node: the built service as a child process. */
export class TestNode {
  private readonly output: string[] = [];
  private constructor(readonly code: string, readonly url: string, private readonly child: ChildProcess, private readonly keyDir: string) {}

  /** `env`: more variables for the node (limits, retention), applied last. */
  static async start(spec: { code: string; parentCode?: string; databaseUrl: string; namespace: string; env?: Record<string, string> }): Promise<TestNode> {
    const port = await freePort();
    const keyDir = mkdtempSync(join(tmpdir(), 'tdx-cli-key-'));
    const province = provinceKey(spec.namespace);
    const isProvince = spec.code.endsWith('0000');
    const env = {
      ...process.env,
      NODE_CODE: spec.code,
      ...(spec.parentCode ? { PARENT_CODE: spec.parentCode } : {}),
      DATABASE_URL: spec.databaseUrl,
      NATS_URL: SHARED_NATS_URL,
      NATS_NAMESPACE: spec.namespace,
      PORT: String(port),
      NODE_KEY_FILE: isProvince ? province.keyFile : join(keyDir, `node-${spec.code}.pem`),
      ...(isProvince ? {} : { TRUST_ANCHOR: province.publicKey }),
      LOG_LEVEL: 'warn',
      NO_COLOR: '1',
      ADMIN_PASSWORD,
      JOIN_APPROVAL: 'auto',
      ...spec.env,
    };
    const child = spawn(process.execPath, [NODE_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const node = new TestNode(spec.code, `http://127.0.0.1:${port}`, child, keyDir);
    child.stdout?.on('data', (c) => node.output.push(String(c)));
    child.stderr?.on('data', (c) => node.output.push(String(c)));
    await node.waitHealthy();
    return node;
  }

  private async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const port = Number(new URL(this.url).port);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`node ${this.code} exited during start-up:\n${this.output.join('')}`);
      if (await portOpen(port)) {
        const health = await fetch(`${this.url}/health`).catch(() => undefined);
        if (health?.status === 200) return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`node ${this.code} not healthy after ${timeoutMs} ms:\n${this.output.join('')}`);
  }

  /**
   * Waits until the node has joined its parent (a child only) and holds a valid trust list naming
   * it: before that it trusts no other node, and a return request would get 503.
   */
  async waitJoined(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let status: { parent?: { joined?: boolean; lastError?: string }; trustList?: { state?: string } } = {};
    while (Date.now() < deadline) {
      status = (await api(this.url, 'GET', '/api/v1/federation/status')).body as typeof status;
      if (status.parent?.joined && status.trustList?.state === 'valid') {
        const list = (await api(this.url, 'GET', '/api/v1/federation/trust-list')).body as { nodes?: { code: string }[] };
        if (list.nodes?.some((n) => n.code === this.code)) return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`node ${this.code} did not join its parent: ${JSON.stringify(status.parent)}\n${this.output.join('')}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.keyDir, { recursive: true, force: true });
  }
}

export interface TdxResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI with the given arguments; stdout is a pipe, so progress comes as plain lines.
 * A run that outlives `timeoutMs` is killed and fails the test with what it printed.
 */
export async function tdx(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000, input?: string): Promise<TdxResult> {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    env: { ...process.env, TDX_NODE_URL: '', TDX_TOKEN: '', XDG_CONFIG_HOME: CLI_CONFIG_HOME, ...env },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (input !== undefined) child.stdin?.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c) => (stdout += c));
  child.stderr?.on('data', (c) => (stderr += c));
  let timedOut = false;
  const timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), timeoutMs);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  if (timedOut) throw new Error(`tdx ${args.join(' ')} did not finish in ${timeoutMs / 1000} s; it printed:\n${stdout}\n${stderr}`);
  return { code, stdout, stderr };
}

const tokens = new Map<string, string>();

/** Signs `tdx` in to a test node as its admin, the way an operator does (password on standard input). */
export async function tdxLogin(url: string): Promise<void> {
  const result = await tdx(['login', '--username', 'admin', '--node', url], {}, 60_000, `${ADMIN_PASSWORD}\n`);
  if (result.code !== 0) throw new Error(`tdx login at ${url} failed (${result.code}): ${result.stderr}`);
}

async function adminToken(base: string, fresh: boolean): Promise<string> {
  const known = tokens.get(base);
  if (known && !fresh) return known;
  const response = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  if (response.status !== 200) throw new Error(`sign-in at ${base} answered ${response.status}: ${await response.text()}`);
  const { accessToken } = (await response.json()) as { accessToken: string };
  tokens.set(base, accessToken);
  return accessToken;
}

/** A small JSON client for setting up what the CLI then works on, signed in as the node's admin. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response bodies loosely and assert on them
export async function api<T = any>(base: string, method: string, path: string, body?: unknown, fresh = false): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), authorization: `Bearer ${await adminToken(base, fresh)}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && !fresh) return api<T>(base, method, path, body, true);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the text itself.
  }
  return { status: response.status, body: parsed as T };
}
