import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { freePort, NATS_BIN, waitForPort } from './nats-server';

export const DEPLOY_NATS = resolve(__dirname, '../../../../deploy/nats');

/** A node's NATS credential as an operator issues it: the seed in a 0600 file, the public key for the server's configuration. */
export interface NodeCredential {
  code: string;
  publicKey: string;
  seedFile: string;
}

export function issueCredential(code: string, dir: string): NodeCredential {
  const user = nkeys.createUser();
  const seedFile = join(dir, `nats-${code}.nk`);
  writeFileSync(seedFile, `${new TextDecoder().decode(user.getSeed())}\n`, { mode: 0o600 });
  return { code, publicKey: user.getPublicKey(), seedFile };
}

export interface DeployedServerOptions {
  /** The node keys the configuration names (NKEY_<code>), replaced by the test's own. */
  credentials: NodeCredential[];
  /** Leaf-link passwords the configuration names (LEAF_<code>_PASSWORD), in plain text (nats-server also takes bcrypt). */
  leafPasswords?: Record<string, string>;
  /** The parent's server and this server's leaf user, written to parent-leaf.conf as the operator would. */
  parent?: { server: DeployedNatsServer; user: string; password: string };
}

/**
 * A nats-server running one of deploy/nats/*.conf as committed: only what ties it to a machine
 * is changed (ports, store directory, the example keys and password hashes), so the users and
 * their permissions under test are the ones an operator deploys.
 */
export class DeployedNatsServer {
  private process: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'tdx-secured-nats-'));
  readonly log: string[] = [];

  private constructor(readonly file: string, readonly clientPort: number, readonly leafPort: number) {}

  static async start(file: string, options: DeployedServerOptions): Promise<DeployedNatsServer> {
    const clientPort = await freePort();
    const leafPort = await freePort();
    let text = readFileSync(join(DEPLOY_NATS, file), 'utf8')
      .replace(/^listen: 127\.0\.0\.1:4222$/m, `listen: 127.0.0.1:${clientPort}`)
      .replace(/^(\s*)listen: 0\.0\.0\.0:7422$/m, `$1listen: 127.0.0.1:${leafPort}`)
      .replace(/^(\s*)store_dir: \/var\/lib\/tdx\/nats$/m, '$1store_dir: "STORE"');
    const keys = new Map(options.credentials.map((c) => [c.code, c.publicKey]));
    text = text.replace(/^NKEY_(\d{6}): ".*"$/gm, (_line, code: string) => {
      const key = keys.get(code);
      if (!key) throw new Error(`${file} names node ${code}, for which the test issued no key`);
      return `NKEY_${code}: "${key}"`;
    });
    text = text.replace(/^LEAF_(\d{6})_PASSWORD: ".*"$/gm, (_line, code: string) => {
      const password = options.leafPasswords?.[code];
      if (!password) throw new Error(`${file} names the leaf link of ${code}, for which the test has no password`);
      return `LEAF_${code}_PASSWORD: "${password}"`;
    });
    const server = new DeployedNatsServer(file, clientPort, leafPort);
    const parent = options.parent;
    if (parent) {
      writeFileSync(join(server.dir, 'parent-leaf.conf'),
        `PARENT_LEAF_URL: "nats-leaf://${parent.user}:${parent.password}@127.0.0.1:${parent.server.leafPort}"\n`, { mode: 0o600 });
    }
    writeFileSync(join(server.dir, file), text.replace('"STORE"', `"${join(server.dir, 'js')}"`));
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.clientPort}`;
  }

  /** `nats-server -t`: the configuration as the test runs it parses. */
  check(): string {
    const result = spawnSync(NATS_BIN, ['-t', '-c', join(this.dir, this.file)], { encoding: 'utf8' });
    return `${result.stdout}${result.stderr}`.trim();
  }

  async restart(): Promise<void> {
    const child = spawn(NATS_BIN, ['-c', join(this.dir, this.file)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk) => this.log.push(String(chunk)));
    child.stderr?.on('data', (chunk) => this.log.push(String(chunk)));
    this.process = child;
    await waitForPort(this.clientPort);
  }

  async stop(): Promise<void> {
    await killAndRemove(this.process, this.dir);
  }
}

/** A nats-server with no authentication of its own, linked to a parent's leaf port with a leaf user: a county server in an attacker's hands. */
export class RogueLeafServer {
  private process: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'tdx-rogue-nats-'));

  private constructor(readonly clientPort: number) {}

  static async start(hub: DeployedNatsServer, user: string, password: string): Promise<RogueLeafServer> {
    const server = new RogueLeafServer(await freePort());
    const config = join(server.dir, 'rogue.conf');
    writeFileSync(config, [
      'server_name: rogue',
      `listen: 127.0.0.1:${server.clientPort}`,
      `jetstream { store_dir: "${join(server.dir, 'js')}", domain: rogue }`,
      `leafnodes { remotes: [ { url: "nats-leaf://${user}:${password}@127.0.0.1:${hub.leafPort}" } ] }`,
    ].join('\n'));
    server.process = spawn(NATS_BIN, ['-c', config], { stdio: 'ignore' });
    await waitForPort(server.clientPort);
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.clientPort}`;
  }

  async stop(): Promise<void> {
    await killAndRemove(this.process, this.dir);
  }
}

/** Stops a server process (SIGKILL, waiting for its exit) and removes its directory. */
async function killAndRemove(child: ChildProcess | undefined, dir: string): Promise<void> {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}
