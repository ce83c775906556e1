import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { freePort, NATS_BIN, waitForPort } from '@tdx/testing';
import { TestCa, TlsFiles } from './test-ca';

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
  /** The federation's CA: it issues the files the configuration names in /etc/tdx/nats/tls/. */
  ca: TestCa;
  /**
   * The file made over for other divisions, as an operator copies the example of a tier for another
   * node (Hangzhou's city.conf for Ningbo: 330100 → 330200, and so on); every occurrence changes.
   */
  divisions?: Record<string, string>;
}

/**
 * A nats-server running one of deploy/nats/*.conf as committed: only what ties it to a machine
 * is changed (ports, store and certificate directories, the example keys and password hashes),
 * so the users, their permissions and the TLS settings under test are the ones an operator deploys.
 */
export class DeployedNatsServer {
  private process: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'tdx-secured-nats-'));
  readonly log: string[] = [];
  /** What the configuration reads from /etc/tdx/nats/tls/: ca.pem, server-*.pem, and leaf-*.pem for its leaf link. */
  readonly tlsDir = join(this.dir, 'tls');

  private constructor(
    readonly file: string,
    readonly clientPort: number,
    readonly leafPort: number,
  ) {}

  static async start(file: string, options: DeployedServerOptions): Promise<DeployedNatsServer> {
    const clientPort = await freePort();
    const leafPort = await freePort();
    const divisions = Object.entries(options.divisions ?? {});
    let text = divisions
      .reduce((t, [from, to]) => t.replaceAll(from, to), readFileSync(join(DEPLOY_NATS, file), 'utf8'))
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
      writeFileSync(
        join(server.dir, 'parent-leaf.conf'),
        `PARENT_LEAF_URL: "nats-leaf://${parent.user}:${parent.password}@127.0.0.1:${parent.server.leafPort}"\n`,
        { mode: 0o600 },
      );
    }
    server.issueTlsFiles(options.ca);
    writeFileSync(join(server.dir, file), text.replace('"STORE"', `"${join(server.dir, 'js')}"`).replace(/"\/etc\/tdx\/nats\/tls\//g, `"${server.tlsDir}/`));
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.clientPort}`;
  }

  /** This server's leaf-link certificate: what an attacker holding the server would have. */
  get leafTls(): TlsFiles {
    return { caFile: join(this.tlsDir, 'ca.pem'), certFile: join(this.tlsDir, 'leaf-cert.pem'), keyFile: join(this.tlsDir, 'leaf-key.pem') };
  }

  private issueTlsFiles(ca: TestCa): void {
    ca.issue(`nats ${this.file}`, 'server', join(this.tlsDir, 'server'));
    ca.issue(`leaf link of ${this.file}`, 'client', join(this.tlsDir, 'leaf'));
    copyFileSync(ca.caFile, join(this.tlsDir, 'ca.pem'));
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

  /** `tls`: the certificate (or only the CA) its leaf link shows the hub. */
  static async start(hub: DeployedNatsServer, user: string, password: string, tls: Partial<TlsFiles>): Promise<RogueLeafServer> {
    const server = new RogueLeafServer(await freePort());
    const config = join(server.dir, 'rogue.conf');
    const tlsBlock = Object.entries({ ca_file: tls.caFile, cert_file: tls.certFile, key_file: tls.keyFile })
      .flatMap(([option, path]) => (path ? [`${option}: "${path}"`] : []))
      .join(', ');
    writeFileSync(
      config,
      [
        'server_name: rogue',
        `listen: 127.0.0.1:${server.clientPort}`,
        `jetstream { store_dir: "${join(server.dir, 'js')}", domain: rogue }`,
        `leafnodes { remotes: [ { url: "nats-leaf://${user}:${password}@127.0.0.1:${hub.leafPort}", tls { ${tlsBlock} } } ] }`,
      ].join('\n'),
    );
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

/** How a server answered {@link speakNats}. */
export interface NatsGreeting {
  /** The server's INFO: what it requires before anything else. */
  info: { tls_required?: boolean; tls_verify?: boolean };
  /** Its first line after CONNECT and PING ("PONG", "-ERR 'Authorization Violation'"), or undefined when none came. */
  reply?: string;
  /** The TLS alert or error that ended the connection, if one did. */
  tlsError?: string;
}

/**
 * A hand-written client of the NATS protocol, as an outsider would write one: reads the server's
 * INFO, then sends CONNECT and PING either in plain text (`tls: null`) or after a TLS handshake
 * that trusts `tls.caFile` and shows the certificate given, if any. Works on client and leaf ports.
 */
export function speakNats(port: number, connectFields: Record<string, unknown>, tls: Partial<TlsFiles> | null): Promise<NatsGreeting> {
  return new Promise((resolve) => {
    const raw = new Socket();
    let info: NatsGreeting['info'] = {};
    let received = '';
    let settled = false;
    const finish = (outcome: Omit<NatsGreeting, 'info'>) => {
      if (settled) return;
      settled = true;
      raw.destroy();
      resolve({ info, ...outcome });
    };
    const hello = `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, ...connectFields })}\r\nPING\r\n`;
    const onData = (chunk: Buffer | string) => {
      received += String(chunk);
      const end = received.indexOf('\r\n');
      if (end >= 0) finish({ reply: received.slice(0, end) });
    };
    raw.on('error', (error) => finish({ tlsError: error.message }));
    raw.on('data', function readInfo(chunk: Buffer) {
      received += String(chunk);
      const end = received.indexOf('\r\n');
      if (end < 0) return;
      raw.off('data', readInfo);
      info = JSON.parse(received.slice('INFO '.length, end)) as NatsGreeting['info'];
      received = '';
      if (!tls) {
        raw.on('data', onData);
        raw.on('close', () => finish({}));
        raw.write(hello);
        return;
      }
      const secure = tlsConnect({
        socket: raw,
        servername: 'localhost',
        ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
        ...(tls.certFile && tls.keyFile ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } : {}),
      });
      secure.on('secureConnect', () => secure.write(hello));
      secure.on('data', onData);
      secure.on('error', (error) => finish({ tlsError: error.message }));
      secure.on('close', () => finish({}));
    });
    raw.connect(port, '127.0.0.1');
  });
}
