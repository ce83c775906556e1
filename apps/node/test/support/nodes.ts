import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { levelOf } from '@tdx/divisions';
import { loadNodeConfig } from '../../src/config/environment';
import { loadOrCreateSigningKey } from '../../src/config/signing-key.store';
import { createNodeApp } from '../../src/create-node-app';
import { freePort, waitForPort } from './nats-server';
import { signInAs, TEST_ADMIN_PASSWORD } from './api';

export const NODE_MAIN = resolve(__dirname, '../../dist/main.js');

export interface NodeSpec {
  code: string;
  parentCode?: string;
  databaseUrl: string;
  natsUrl: string;
  keyFile?: string;
  /** NATS namespace; tests on the shared server use their own so they never meet the demo or each other. */
  natsNamespace?: string;
  /** More environment variables (rate limits, CORS, ...), applied last. */
  env?: Record<string, string>;
}

export interface RunningNode {
  code: string;
  url: string;
  stop(): Promise<void>;
}

/**
 * The province's key file of a test federation (one per namespace): the province is started with it,
 * and every other node of the namespace gets its public key as TRUST_ANCHOR, as an operator installs it.
 */
const provinceKeyFiles = new Map<string, string>();

export function provinceKeyFile(namespace: string | undefined, keyFile?: string): string {
  const name = namespace ?? 'tdx';
  const file = provinceKeyFiles.get(name) ?? keyFile ?? join(mkdtempSync(join(tmpdir(), 'tdx-anchor-')), 'province.pem');
  provinceKeyFiles.set(name, file);
  return file;
}

/** The trust anchor of a test federation: the public key of its province. */
export function trustAnchorOf(namespace: string | undefined): string {
  return loadOrCreateSigningKey(provinceKeyFile(namespace)).key.publicKey;
}

function environment(spec: NodeSpec, port: number, keyDir: string): Record<string, string> {
  const province = levelOf(spec.code) === 'province';
  return {
    NODE_CODE: spec.code,
    ...(spec.parentCode ? { PARENT_CODE: spec.parentCode } : {}),
    DATABASE_URL: spec.databaseUrl,
    NATS_URL: spec.natsUrl,
    ...(spec.natsNamespace ? { NATS_NAMESPACE: spec.natsNamespace } : {}),
    PORT: String(port),
    NODE_KEY_FILE: province ? provinceKeyFile(spec.natsNamespace, spec.keyFile) : spec.keyFile ?? join(keyDir, `node-${spec.code}.pem`),
    ...(province ? {} : { TRUST_ANCHOR: trustAnchorOf(spec.natsNamespace) }),
    LOG_LEVEL: 'warn',
    // The node creates `admin` with this password on first start; api() signs in with it.
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    // Joins are accepted on first use, so suites about other things need no operator step;
    // node-identity.spec.ts sets JOIN_APPROVAL=operator to test approval itself.
    JOIN_APPROVAL: 'auto',
    ...spec.env,
  };
}

/** A node as a Nest application inside the test process: several can run side by side. */
export async function startInProcessNode(spec: NodeSpec): Promise<RunningNode & { app: INestApplication }> {
  const port = await freePort();
  const config = loadNodeConfig(environment(spec, port, mkdtempSync(join(tmpdir(), 'tdx-key-'))));
  const app = await createNodeApp(config);
  await app.listen(port, '127.0.0.1');
  signInAs(`http://127.0.0.1:${port}`, 'admin', config.auth.adminPassword ?? TEST_ADMIN_PASSWORD);
  return { code: spec.code, url: `http://127.0.0.1:${port}`, app, stop: () => app.close() };
}

/** A node as its own OS process running the built service, which a test can SIGKILL and start again. */
export class NodeProcess implements RunningNode {
  private child: ChildProcess | undefined;
  private logFile: string | undefined;
  readonly output: string[] = [];

  private constructor(readonly code: string, private readonly env: Record<string, string>, private readonly port: number) {}

  /** `logFile`: also append everything the process prints to this file. */
  static async start(spec: NodeSpec, options: { logFile?: string } = {}): Promise<NodeProcess> {
    const port = await freePort();
    const node = new NodeProcess(spec.code, environment(spec, port, mkdtempSync(join(tmpdir(), 'tdx-key-'))), port);
    node.logFile = options.logFile;
    await node.restart();
    signInAs(node.url, 'admin', node.env.ADMIN_PASSWORD || TEST_ADMIN_PASSWORD);
    return node;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    this.child = spawn(process.execPath, [NODE_MAIN], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const record = (chunk: Buffer) => {
      this.output.push(String(chunk));
      if (this.logFile) appendFileSync(this.logFile, chunk);
    };
    this.child.stdout?.on('data', record);
    this.child.stderr?.on('data', record);
    await waitForPort(this.port, 30_000);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  stop(): Promise<void> {
    return this.kill('SIGTERM');
  }
}
