import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, waitForPort } from './ports';

export const NATS_BIN = process.env.TDX_NATS_SERVER ?? '/usr/sbin/nats-server';
export const SHARED_NATS_URL = process.env.TDX_TEST_NATS ?? 'nats://127.0.0.1:4222';

/** A NATS namespace of its own (NATS_NAMESPACE) for one test file on the shared server, so that tests never meet the demo or each other. */
export function testNamespace(): string {
  return `t${Math.random().toString(36).slice(2, 10)}`;
}

/** Deletes the streams of one namespace (a test file's, a benchmark run's, the demo's on --reset). `natsUrl` may list several servers. */
export async function deleteNamespaceStreams(natsUrl: string, namespace: string): Promise<void> {
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

/**
 * The text of a nats-server configuration file for a test server: it must listen for clients on
 * 127.0.0.1:`port`, and may keep files under `storeDir` (the server's own, removed at stop).
 */
export type NatsServerConfig = (server: { port: number; storeDir: string }) => string;

/**
 * A test-owned nats-server on its own port and store, which a test can kill and restart: JetStream
 * with the defaults, or as `config` writes it (a leaf node of another test server, say).
 */
export class TestNatsServer {
  private process: ChildProcess | undefined;
  readonly storeDir = mkdtempSync(join(tmpdir(), 'tdx-nats-'));

  private constructor(
    readonly port: number,
    private readonly config?: NatsServerConfig,
  ) {}

  static async start(config?: NatsServerConfig): Promise<TestNatsServer> {
    const server = new TestNatsServer(await freePort(), config);
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    let args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    if (this.config) {
      const file = join(this.storeDir, 'server.conf');
      writeFileSync(file, this.config({ port: this.port, storeDir: this.storeDir }));
      args = ['-c', file];
    }
    this.process = spawn(NATS_BIN, args, { stdio: 'ignore' });
    await waitForPort(this.port);
  }

  /** Stops the server abruptly (SIGKILL): JetStream must recover from its store. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
