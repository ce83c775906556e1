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
import { NodeProcess, signInAs } from '@tdx/testing';
import { LeafNatsServer, MemorySampler } from './processes.mjs';
import { tiersOf } from './topology.mjs';

/**
 * One node served by a process that hosts several (TDX_NODES_FILE): its own port, URL, key and
 * log lines, its process the host's. Killing or stopping it kills or stops the host.
 */
class HostedNode extends NodeProcess {
  constructor(options, host) {
    super(options);
    this.host = host;
    // NodeProcess declares `exited` as a field (an own property of each instance): the host's, here.
    Object.defineProperty(this, 'exited', { get: () => host.exited, configurable: true });
  }

  get running() {
    return this.host.running;
  }

  get pid() {
    return this.host.pid;
  }

  launch() {
    this.host.launch();
    return this;
  }

  kill(signal) {
    return this.host.kill(signal);
  }

  stop(graceMs) {
    return this.host.stop(graceMs);
  }

  killNow() {
    this.host.killNow();
  }
}

export class LocalTree {
  /** code -> NodeProcess (a HostedNode for a node whose process hosts several) */
  nodes = new Map();
  /** process id -> the NodeProcess of that OS process */
  hosts = new Map();
  /** process id (the code of its first node) -> LeafNatsServer */
  servers = new Map();
  stopping = false;

  /**
   * `label`: names the databases (tdx_<label>_<code>); `workDir`: keys, logs and NATS stores;
   * `pgAdminUrl`: the PostgreSQL server the databases are made on; `log`: where progress goes.
   * `ownedPostgres`: the script's own PostgreSQL server (OwnedPostgres), when it started one: its
   * processes count in the memory figures (their RSS includes the shared buffers each touched, so
   * the sum overstates them).
   */
  constructor({ topology, label, pgAdminUrl, workDir, namespace = 'tdx', logLevel = 'warn', log = () => undefined, keepDatabases = false, ownedPostgres }) {
    Object.assign(this, { topology, label, pgAdminUrl, workDir, namespace, logLevel, log, keepDatabases, ownedPostgres });
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
      ...[...this.hosts].map(([id, p]) => ({ label: `node ${this.processLabel(id)}`, pid: p.running ? p.pid : undefined })),
      ...[...this.servers].map(([id, s]) => ({ label: `nats ${id}`, pid: s.pid })),
      ...(this.ownedPostgres?.processes() ?? []),
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

  /** A process by the nodes it serves: "330100" or "330100+330108+...". */
  processLabel(id) {
    const codes = this.topology.processes.find((p) => p.id === id).codes;
    return codes.length > 3 ? `${id}+${codes.length - 1} counties` : codes.join('+');
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
      // A process starts with the tier of its first node, and serves the others of it (its counties) too.
      for (const proc of this.topology.processes.filter((p) => tier.some((n) => n.code === p.id))) {
        started.push(...(proc.codes.length === 1 ? [await this.launchAlone(proc.id)] : await this.launchHost(proc)));
      }
      // Many nodes starting at once on two cores each run their migrations: the wait grows with them.
      await Promise.all(started.map((node) => node.waitHealthy(60_000 + 3_000 * started.length)));
      if (started.length > 0) this.log(`  up: ${started.length} node(s) in the ${tier[0].level} tier's processes`);
    }
    // Each join waits for the operator at the parent: approve them, as an operator would.
    await approveAndAwaitJoins(this.nodes, 180_000);
    this.log(`  every node joined and holds the trust list`);
  }

  /** The variables of node `code` on `port`, as its environment would hold them when it runs alone. */
  async variablesOf(code, port) {
    const n = this.byCode.get(code);
    const keyFile = join(this.workDir, 'keys', `node-${code}.pem`);
    return {
      code,
      parentCode: n.parent,
      port,
      databaseUrl: this.dbUrl(code),
      natsUrl: this.serverOf(code).url,
      namespace: this.namespace,
      keyFile,
      logFile: join(this.workDir, 'logs', `${n.process}.log`),
      logLevel: this.logLevel,
      adminPassword: this.adminPassword(code),
    };
  }

  async launchAlone(code) {
    const node = localNode(await this.variablesOf(code, await freePort())).launch({ append: false });
    this.nodes.set(code, node);
    this.hosts.set(code, node);
    this.reportExit(node, code);
    return node;
  }

  /** A process hosting several nodes from a nodes file (JSON), each with the variables it would have alone. */
  async launchHost(proc) {
    const entries = [];
    for (const code of proc.codes) {
      const v = await this.variablesOf(code, await freePort());
      // localNode's environment for the node, without launching it: the file holds the same variables.
      entries.push({ v, env: localNode(v).env });
    }
    const file = join(this.workDir, 'nodes', `${proc.id}.nodes.json`);
    mkdirSync(join(this.workDir, 'nodes'), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify({ nodes: entries.map((e) => e.env) }, null, 2)}\n`, { mode: 0o600 });
    const host = new NodeProcess({
      code: proc.codes.join('+'),
      port: entries[0].v.port,
      env: { TDX_NODES_FILE: file },
      logFile: entries[0].v.logFile,
      host: 'localhost',
      detached: true,
    }).launch({ append: false });
    this.hosts.set(proc.id, host);
    this.reportExit(host, this.processLabel(proc.id));
    return entries.map(({ v, env }) => {
      const node = new HostedNode({ code: v.code, parentCode: v.parentCode, port: v.port, env, logFile: v.logFile, host: 'localhost' }, host);
      signInAs(node.url, 'admin', v.adminPassword);
      this.nodes.set(v.code, node);
      return node;
    });
  }

  reportExit(proc, label) {
    void proc.exited.then((info) => {
      if (!this.stopping && !proc.running && proc.expectedExit !== true)
        this.log(`!! node process ${label} exited (${JSON.stringify(info)}); see ${shown(proc.logFile)}`);
    });
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
    throw new ScriptError(
      `the tree did not agree within ${timeoutMs / 1000} s: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? ` and ${problems.length - 8} more` : ''}`,
    );
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
      await Promise.all(
        tier.map((n) =>
          this.hosts
            .get(n.code)
            ?.stop()
            .catch(() => undefined),
        ),
      );
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
    for (const p of this.hosts.values()) p.killNow();
    for (const s of this.servers.values()) s.killNow();
  }
}
