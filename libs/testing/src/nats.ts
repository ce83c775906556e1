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

/**
 * A test-owned cluster of nats-servers with JetStream (three by default), each on its own client
 * and route port with its own store, routed to every other: streams made with three copies survive
 * the loss of any one server. `url` lists every server, so a client fails over by itself.
 */
export class TestNatsCluster {
  private constructor(
    readonly servers: TestNatsServer[],
    /** Each server's `server_name`, as JetStream names a stream's leader and replicas. */
    readonly names: string[],
  ) {}

  static async start(size = 3): Promise<TestNatsCluster> {
    const routePorts: number[] = [];
    for (let i = 0; i < size; i++) routePorts.push(await freePort());
    const name = `tdx${Math.random().toString(36).slice(2, 8)}`;
    const servers: TestNatsServer[] = [];
    for (let i = 0; i < size; i++) {
      const config: NatsServerConfig = ({ port, storeDir }) =>
        [
          `server_name: ${name}_${i + 1}`,
          `listen: 127.0.0.1:${port}`,
          `jetstream { store_dir: "${storeDir}" }`,
          `cluster {`,
          `  name: ${name}`,
          `  listen: 127.0.0.1:${routePorts[i]}`,
          `  routes: [${routePorts.map((p) => `"nats-route://127.0.0.1:${p}"`).join(', ')}]`,
          `}`,
        ].join('\n');
      servers.push(await TestNatsServer.start(config));
    }
    const cluster = new TestNatsCluster(
      servers,
      servers.map((_, i) => `${name}_${i + 1}`),
    );
    await cluster.waitForJetStream();
    return cluster;
  }

  get url(): string {
    return this.servers.map((s) => s.url).join(',');
  }

  /** The server of this `server_name` (a stream's leader, say). */
  serverNamed(name: string): TestNatsServer {
    const server = this.servers[this.names.indexOf(name)];
    if (!server) throw new Error(`no server ${name} in this cluster (${this.names.join(', ')})`);
    return server;
  }

  /** Until the servers have elected a JetStream meta leader: before that, no stream can be made. */
  async waitForJetStream(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const nc = await connect({ servers: this.url.split(',') }).catch(() => undefined);
      if (nc) {
        try {
          const jsm = await jetstreamManager(nc);
          const info = await jsm.getAccountInfo();
          if (info) return;
        } catch (error) {
          last = (error as Error).message;
        } finally {
          await nc.close().catch(() => undefined);
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`the NATS cluster had no JetStream leader after ${timeoutMs / 1000} s: ${last}`);
  }

  async stop(): Promise<void> {
    for (const server of this.servers) await server.stop();
  }
}
