import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, NATS_BIN, waitForPort } from '@tdx/testing';

/**
 * One nats-server of the production topology (deploy/nats/*.conf): JetStream in its own
 * domain, a leaf-node listener for the tier below, and a leaf remote to the tier above.
 */
export class LeafServer {
  private process: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'tdx-leaf-'));

  private constructor(
    readonly name: string,
    readonly clientPort: number,
    readonly leafPort: number,
    private readonly hubLeafPort?: number,
  ) {}

  static async start(name: string, hub?: LeafServer): Promise<LeafServer> {
    const server = new LeafServer(name, await freePort(), await freePort(), hub?.leafPort);
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.clientPort}`;
  }

  async restart(): Promise<void> {
    const remotes = this.hubLeafPort ? `remotes: [ { url: "nats-leaf://127.0.0.1:${this.hubLeafPort}" } ]` : '';
    const config = join(this.dir, 'server.conf');
    writeFileSync(
      config,
      [
        `server_name: ${this.name}`,
        `listen: 127.0.0.1:${this.clientPort}`,
        `jetstream { store_dir: "${join(this.dir, 'js')}", domain: ${this.name} }`,
        `leafnodes { listen: 127.0.0.1:${this.leafPort}, reconnect: 1, ${remotes} }`,
      ].join('\n'),
    );
    this.process = spawn(NATS_BIN, ['-c', config], { stdio: 'ignore' });
    await waitForPort(this.clientPort);
  }

  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
