import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { accessToken, api, signInAs, TEST_ADMIN_PASSWORD } from './api';
import { KitError } from './errors';
import { provinceKeyFile, trustAnchorOf } from './keys';
import { freePort, waitForPort } from './ports';

const ROOT = resolve(__dirname, '../../..');
/** The built node; TDX_NODE_MAIN runs another build (for example to compare two builds in benchmarks). */
export const NODE_MAIN = process.env.TDX_NODE_MAIN ? resolve(process.env.TDX_NODE_MAIN) : join(ROOT, 'apps/node/dist/main.js');

/** The node's variables: a node process sees these only as its launcher sets them, never from the caller's environment. */
const NODE_VARIABLES = [
  'NODE_CODE',
  'PARENT_CODE',
  'DATABASE_URL',
  'NATS_URL',
  'NATS_NAMESPACE',
  'PORT',
  'NODE_KEY_FILE',
  'NODE_NAME',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'ADMIN_PASSWORD',
  'ACCESS_TOKEN_TTL',
  'REFRESH_TOKEN_TTL',
  'METRICS_TOKEN',
  'JOIN_APPROVAL',
  'TRUST_LIST_TTL',
  'TRUST_REFRESH',
  'TRUST_ANCHOR',
  'HEARTBEAT_INTERVAL',
  'TDX_NODES_FILE',
  'WORKER_LEASE_SECONDS',
  'NATS_STREAM_REPLICAS',
];

/** A test node: its division, parent, database and NATS. */
export interface NodeSpec {
  code: string;
  parentCode?: string;
  databaseUrl: string;
  natsUrl: string;
  /** The node's key file; by default a new one in a directory of its own (the province's: its federation's, see provinceKeyFile). */
  keyFile?: string;
  /** NATS namespace; tests on the shared server use their own so they never meet the demo or each other. */
  natsNamespace?: string;
  /** More environment variables (rate limits, CORS, ...), applied last. */
  env?: Record<string, string>;
}

/**
 * The environment of a test node listening on `port`. The province signs with its federation's key
 * (one per namespace) and every other node gets that key's public half as TRUST_ANCHOR.
 */
export function testNodeEnvironment(spec: NodeSpec, port: number): Record<string, string> {
  // A province code is PP0000 (see @tdx/divisions; the kit depends on no library of the product).
  const province = /^\d{2}0000$/.test(spec.code);
  return {
    NODE_CODE: spec.code,
    ...(spec.parentCode ? { PARENT_CODE: spec.parentCode } : {}),
    DATABASE_URL: spec.databaseUrl,
    NATS_URL: spec.natsUrl,
    ...(spec.natsNamespace ? { NATS_NAMESPACE: spec.natsNamespace } : {}),
    PORT: String(port),
    NODE_KEY_FILE: province
      ? provinceKeyFile(spec.natsNamespace, spec.keyFile)
      : (spec.keyFile ?? join(mkdtempSync(join(tmpdir(), 'tdx-key-')), `node-${spec.code}.pem`)),
    ...(province ? {} : { TRUST_ANCHOR: trustAnchorOf(spec.natsNamespace) }),
    LOG_LEVEL: 'warn',
    // The node creates `admin` with this password on first start; api() signs in with it.
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    // Joins are accepted on first use, so suites about other things need no operator step;
    // the node's identity tests set JOIN_APPROVAL=operator to test approval itself.
    JOIN_APPROVAL: 'auto',
    ...spec.env,
  };
}

export interface NodeProcessOptions {
  code: string;
  parentCode?: string;
  port: number;
  /** The node's variables (NODE_CODE, DATABASE_URL, ...), as the node reads them. */
  env: Record<string, string>;
  /** Where the node's output goes (appended); without one it is kept in memory (printed()). */
  logFile?: string;
  /** The host of `url` (the node listens on every interface). */
  host?: string;
  /** Runs the node in a process group of its own, so that a Ctrl-C at a terminal reaches only the script that started it. */
  detached?: boolean;
  /** The built node to run (another release's `apps/node/dist/main.js`, say); NODE_MAIN by default. */
  main?: string;
}

/** A node as its own OS process running the built service, which a test or script can start, SIGKILL and start again. */
export class NodeProcess {
  readonly code: string;
  readonly parentCode: string | undefined;
  readonly port: number;
  readonly url: string;
  readonly env: Record<string, string>;
  readonly logFile: string | undefined;
  private readonly detached: boolean;
  /** The built node this process runs, and the folder it runs in (that build's checkout). */
  readonly main: string;
  private readonly cwd: string;
  private readonly memory: string[] = [];
  private child: ChildProcess | undefined;
  /** Settles when the process last launched exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(options: NodeProcessOptions) {
    this.code = options.code;
    this.parentCode = options.parentCode;
    this.port = options.port;
    this.url = `http://${options.host ?? '127.0.0.1'}:${options.port}`;
    this.env = options.env;
    this.logFile = options.logFile;
    this.detached = options.detached ?? false;
    this.main = options.main ?? NODE_MAIN;
    this.cwd = options.main ? resolve(dirname(options.main), '../../..') : ROOT;
  }

  /**
   * A test node (testNodeEnvironment) on a free port, listening, and signed in to as its admin by
   * api(). `logFile`: its output goes there rather than to memory.
   */
  static async start(spec: NodeSpec, options: { logFile?: string; main?: string } = {}): Promise<NodeProcess> {
    const port = await freePort();
    const node = new NodeProcess({
      code: spec.code,
      parentCode: spec.parentCode,
      port,
      env: testNodeEnvironment(spec, port),
      logFile: options.logFile,
      main: options.main,
    });
    await node.restart();
    signInAs(node.url, 'admin', node.env.ADMIN_PASSWORD || TEST_ADMIN_PASSWORD);
    return node;
  }

  /** The node's key file (NODE_KEY_FILE). */
  get keyFile(): string {
    return this.env.NODE_KEY_FILE;
  }

  /** Starts the process and returns at once; `append: false` starts the log file afresh. */
  launch({ append = true }: { append?: boolean } = {}): this {
    // The node's variables come from `env` only: none leaks in from the caller's environment.
    const env: Record<string, string | undefined> = Object.fromEntries(Object.entries(process.env).filter(([name]) => !NODE_VARIABLES.includes(name)));
    // No NO_COLOR: the node itself writes no colours to a file or a pipe (its log-colour test relies on that).
    Object.assign(env, this.env);
    let child: ChildProcess;
    if (this.logFile) {
      mkdirSync(dirname(this.logFile), { recursive: true });
      const fd = openSync(this.logFile, append ? 'a' : 'w');
      writeSync(fd, `\n=== ${new Date().toISOString()} starting node ${this.code} on port ${this.port} ===\n`);
      // Straight into the file: a busy node's output costs the launching process nothing.
      child = spawn(process.execPath, [this.main], { cwd: this.cwd, env, stdio: ['ignore', fd, fd], detached: this.detached });
      closeSync(fd);
    } else {
      child = spawn(process.execPath, [this.main], { cwd: this.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: this.detached });
      const record = (chunk: Buffer) => this.memory.push(String(chunk));
      child.stdout?.on('data', record);
      child.stderr?.on('data', record);
    }
    this.child = child;
    this.exitInfo = undefined;
    this.exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
    void this.exited.then((info) => {
      if (this.child === child) this.exitInfo = info;
    });
    return this;
  }

  /** The process id of the process last launched. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    const child = this.child;
    return child !== undefined && this.exitInfo === undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Everything the node has printed so far (from its log file when it has one). */
  printed(): string {
    if (!this.logFile) return this.memory.join('');
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** The last lines of the node's output, for error messages. */
  logTail(lines = 15): string {
    return this.printed().trimEnd().split('\n').slice(-lines).join('\n') || '(no output)';
  }

  /** Starts the process (again) and waits until it listens. */
  async restart(): Promise<void> {
    this.launch();
    await this.waitListening();
  }

  /** Waits until the node listens on its port; fails early, with its last output, if the process exits. */
  async waitListening(timeoutMs = 30_000): Promise<void> {
    await waitForPort(this.port, timeoutMs, () => this.failIfExited());
  }

  /** Waits until /health answers 200 (database and NATS up); fails early if the process exits. */
  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      this.failIfExited();
      try {
        const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) });
        if (response.status === 200) return;
        last = `${response.status} ${await response.text()}`;
      } catch (error) {
        last = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new KitError(`node ${this.code} was not healthy after ${timeoutMs / 1000} s (${last}); last lines${this.where()}:\n${this.logTail()}`);
  }

  /** Waits until the node has joined its parent (at once for a province); names the link's last error on time-out. */
  async waitJoined(timeoutMs = 60_000): Promise<void> {
    if (!this.parentCode) return;
    const deadline = Date.now() + timeoutMs;
    let lastError: string | null = null;
    while (Date.now() < deadline) {
      const { body } = await api(this.url, 'GET', '/api/v1/federation/status');
      if (body?.parent?.joined) return;
      lastError = body?.parent?.lastError ?? lastError;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new KitError(
      `node ${this.code} did not join its parent ${this.parentCode} within ${timeoutMs / 1000} s${lastError ? `: ${lastError}` : ''}${this.where()}`,
    );
  }

  /** A current access token of the account api() signs in with here (for a `tdx` child process: TDX_TOKEN). */
  accessToken(): Promise<string> {
    return accessToken(this.url);
  }

  /** Sends `signal` (SIGKILL by default: no chance to clean up) and waits until the process has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    const exited = this.exited;
    this.child?.kill(signal);
    await exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    const child = this.child as ChildProcess;
    child.kill('SIGTERM');
    const timer = setTimeout(() => this.running && child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Last resort when the launching process itself is exiting: synchronous, no waiting. */
  killNow(): void {
    if (this.running) this.child?.kill('SIGTERM');
  }

  private failIfExited(): void {
    if (this.child !== undefined && !this.running) {
      const info = this.exitInfo ?? { code: this.child.exitCode, signal: this.child.signalCode };
      throw new KitError(`node ${this.code} exited during start-up (${JSON.stringify(info)}); last lines${this.where()}:\n${this.logTail()}`);
    }
  }

  private where(): string {
    return this.logFile ? ` of ${this.logFile}` : '';
  }
}
