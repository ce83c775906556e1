// A whole tree of tdx nodes on this machine, as `npm run federation`, `bench:province` and
// `test:chaos` start it: one nats-server per node process in the leaf chain (province <- city <-
// county), one database per node, the nodes (scripts/lib/topology.mjs says which runs where),
// joined and approved as operators would, and the memory of all of it sampled.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  api,
  approveAndAwaitJoins,
  databaseUrl,
  dropDatabases,
  localNode,
  freePort,
  generatePassword,
  recreateDatabases,
  ScriptError,
  shown,
  sleep,
  table,
} from './local-federation.mjs';
import { LeafNatsServer, MemorySampler } from './processes.mjs';
import { tiersOf } from './topology.mjs';

export class LocalTree {
  /** code -> NodeProcess */
  nodes = new Map();
  /** process id (the code of its first node) -> LeafNatsServer */
  servers = new Map();
  stopping = false;

  /**
   * `label`: names the databases (tdx_<label>_<code>); `workDir`: keys, logs and NATS stores;
   * `pgAdminUrl`: the PostgreSQL server the databases are made on; `log`: where progress goes.
   */
  constructor({ topology, label, pgAdminUrl, workDir, namespace = 'tdx', logLevel = 'warn', log = () => undefined, keepDatabases = false }) {
    Object.assign(this, { topology, label, pgAdminUrl, workDir, namespace, logLevel, log, keepDatabases });
    this.byCode = new Map(topology.nodes.map((n) => [n.code, n]));
    this.sampler = new MemorySampler(() => this.processes());
  }

  dbName(code) {
    return `tdx_${this.label}_${code}`;
  }

  dbUrl(code) {
    return databaseUrl(this.pgAdminUrl, this.dbName(code));
  }

  /** Every process this tree started that is running now, labelled for the memory report. */
  processes() {
    return [
      ...[...this.nodes.values()].map((n) => ({ label: `node ${n.code}`, pid: n.running ? n.pid : undefined })),
      ...[...this.servers].map(([id, s]) => ({ label: `nats ${id}`, pid: s.pid })),
    ];
  }

  /** A node's admin password: random, kept (0600) in the work directory for the operator to sign in with. */
  adminPassword(code) {
    const dir = join(this.workDir, 'passwords');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const password = generatePassword();
    writeFileSync(join(dir, code), `${password}\n`, { mode: 0o600 });
    return password;
  }

  /** The nats-server a node uses: its process's. */
  serverOf(code) {
    return this.servers.get(this.byCode.get(code).process);
  }

  /** The codes above `code`, nearest first. */
  ancestorsOf(code) {
    const result = [];
    for (let at = this.byCode.get(code)?.parent; at; at = this.byCode.get(at).parent) result.push(at);
    return result;
  }

  async start() {
    this.sampler.start();
    await recreateDatabases(
      this.pgAdminUrl,
      this.topology.nodes.map((n) => this.dbName(n.code)),
    );
    this.log(`  ${this.topology.nodes.length} fresh databases ${this.dbName('<code>')}`);
    await this.startServers();
    this.log(`  ${this.servers.size} nats-servers in the leaf chain (JetStream domain per server)`);
    await this.startNodes();
  }

  async startServers() {
    // Top down, so that each server's leaf remote finds its hub listening.
    for (const tier of tiersOf(this.topology)) {
      await Promise.all(
        tier
          .filter((n) => n.process === n.code)
          .map(async (n) => {
            const hub = n.parent ? this.serverOf(n.parent) : undefined;
            this.servers.set(n.code, await LeafNatsServer.start({ name: `n${n.code}`, dir: join(this.workDir, 'nats', n.code), hub }));
          }),
      );
    }
  }

  async startNodes() {
    for (const tier of tiersOf(this.topology)) {
      const started = [];
      for (const n of tier) {
        if (n.process !== n.code) throw new ScriptError(`node ${n.code} is hosted by ${n.process}: hosted nodes are not supported by this build`);
        const node = localNode({
          code: n.code,
          parentCode: n.parent,
          port: await freePort(),
          databaseUrl: this.dbUrl(n.code),
          natsUrl: this.serverOf(n.code).url,
          namespace: this.namespace,
          keyFile: join(this.workDir, 'keys', `node-${n.code}.pem`),
          logFile: join(this.workDir, 'logs', `${n.code}.log`),
          logLevel: this.logLevel,
          adminPassword: this.adminPassword(n.code),
        }).launch({ append: false });
        this.nodes.set(n.code, node);
        void node.exited.then((info) => {
          if (!this.stopping && !node.running && node.expectedExit !== true) this.log(`!! node ${n.code} exited (${JSON.stringify(info)}); see ${shown(node.logFile)}`);
        });
        started.push(node);
      }
      await Promise.all(started.map((node) => node.waitHealthy(120_000)));
      if (tier.length > 0) this.log(`  up: ${tier.length} ${tier[0].level} node(s)`);
    }
    // Each join waits for the operator at the parent: approve them, as an operator would.
    await approveAndAwaitJoins(this.nodes, 180_000);
    this.log(`  every node joined and holds the trust list`);
  }

  /**
   * Where the tree's digests differ: for every origin, its own digest against every ancestor's
   * copy of it. Empty when the whole tree agrees. Unreachable nodes count as disagreeing.
   */
  async disagreements() {
    const digests = new Map();
    await Promise.all(
      [...this.nodes.keys()].map(async (code) => {
        try {
          const { body } = await api(this.nodes.get(code).url, 'GET', '/api/v1/federation/digest');
          digests.set(code, new Map(body.origins.map((o) => [o.origin, o])));
        } catch (error) {
          digests.set(code, error);
        }
      }),
    );
    const problems = [];
    for (const code of this.nodes.keys()) {
      const own = digests.get(code);
      if (own instanceof Error) {
        problems.push(`${code} unreachable (${own.message})`);
        continue;
      }
      const mine = own.get(code) ?? { count: 0, digest: 'empty' };
      for (const ancestor of this.ancestorsOf(code)) {
        const there = digests.get(ancestor);
        if (there instanceof Error) continue;
        const held = there.get(code) ?? { count: 0, digest: 'empty' };
        if (held.digest !== mine.digest || held.count !== mine.count) problems.push(`${ancestor} holds ${held.count} of ${code}'s ${mine.count}`);
      }
    }
    return problems;
  }

  /** Waits until every digest agrees; returns the milliseconds waited, or throws naming what still differs. */
  async waitForAgreement(timeoutMs, intervalMs = 250) {
    const started = Date.now();
    let problems = [];
    while (Date.now() - started < timeoutMs) {
      problems = await this.disagreements();
      if (problems.length === 0) return Date.now() - started;
      await sleep(intervalMs);
    }
    throw new ScriptError(`the tree did not agree within ${timeoutMs / 1000} s: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? ` and ${problems.length - 8} more` : ''}`);
  }

  /** Where everything is, as a table: each node's URL, database, nats-server and log. */
  describe() {
    return table(
      ['code', 'name', 'level', 'parent', 'process', 'url', 'database', 'nats (client / leaf port)', 'log'],
      this.topology.nodes.map((n) => {
        const node = this.nodes.get(n.code);
        const server = this.serverOf(n.code);
        return [
          n.code,
          n.name,
          n.level,
          n.parent ?? '',
          n.process === n.code ? 'own' : `hosted by ${n.process}`,
          node?.url ?? '',
          this.dbName(n.code),
          server ? `${server.port} / ${server.leafPort}` : '',
          node ? shown(node.logFile) : '',
        ];
      }),
    );
  }

  /** Stops the nodes (children first), then the nats-servers; drops the databases unless kept. */
  async stop() {
    this.stopping = true;
    this.sampler.stop();
    for (const tier of tiersOf(this.topology).reverse()) {
      await Promise.all(tier.map((n) => this.nodes.get(n.code)?.stop().catch(() => undefined)));
    }
    for (const tier of tiersOf(this.topology).reverse()) {
      await Promise.all(tier.map((n) => (n.process === n.code ? this.servers.get(n.code)?.stop() : undefined)));
    }
    if (!this.keepDatabases) {
      await dropDatabases(
        this.pgAdminUrl,
        this.topology.nodes.map((n) => this.dbName(n.code)),
      ).catch((error) => this.log(`could not drop the databases: ${error.message}`));
    }
  }

  /** Removes the keys, logs and NATS stores (after stop()). */
  removeWorkDir() {
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /** Synchronous last resort when the script itself is exiting: nothing it started stays behind. */
  killNow() {
    for (const n of this.nodes.values()) n.killNow();
    for (const s of this.servers.values()) s.killNow();
  }
}
