// Process plumbing shared by the scripts that start many servers: nats-servers of the leaf
// chain, and a sampler of the memory of everything a script started.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, ScriptError, shown } from './local-federation.mjs';
import { portAnswers } from '@tdx/testing';

const NATS_BIN = process.env.TDX_NATS_SERVER ?? '/usr/sbin/nats-server';

/**
 * One nats-server of the production topology's plain leaf chain (as in
 * apps/node/test/replication-leaf-chain.spec.ts): JetStream in a domain of its own, a leaf-node
 * listener for the tier below, and a leaf remote to the tier above. No TLS or users: every port
 * listens on 127.0.0.1 only. The committed deploy/nats/*.conf (TLS, an NKEY per node, leaf users)
 * are exercised by apps/node/test/nats-permissions.spec.ts; generating them for 102 nodes is the
 * operator's part (docs/operator-guide.md).
 *
 * It runs in a process group of its own, so that Ctrl-C at the terminal reaches only the script,
 * which stops the servers after the nodes.
 */
export class LeafNatsServer {
  child;
  exited;

  constructor({ name, dir, hub, port, leafPort }) {
    this.name = name;
    this.dir = dir;
    this.hub = hub;
    this.port = port;
    this.leafPort = leafPort;
    this.logFile = join(dir, 'server.log');
  }

  static async start({ name, dir, hub }) {
    const server = new LeafNatsServer({ name, dir, hub, port: await freePort(), leafPort: await freePort() });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'server.conf'), server.config());
    await server.restart();
    return server;
  }

  get url() {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid() {
    return this.running ? this.child.pid : undefined;
  }

  get running() {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  config() {
    const remotes = this.hub ? `remotes: [ { url: "nats-leaf://127.0.0.1:${this.hub.leafPort}" } ]` : '';
    return [
      `server_name: ${this.name}`,
      `listen: 127.0.0.1:${this.port}`,
      `jetstream { store_dir: "${join(this.dir, 'js')}", domain: ${this.name} }`,
      `leafnodes { listen: 127.0.0.1:${this.leafPort}, reconnect: 1, ${remotes} }`,
    ].join('\n');
  }

  /** Starts the server (again, on the same ports and store) and waits until it takes clients. */
  async restart() {
    mkdirSync(dirname(this.logFile), { recursive: true });
    const fd = openSync(this.logFile, 'a');
    writeSync(fd, `\n=== ${new Date().toISOString()} starting nats-server ${this.name} ===\n`);
    const child = spawn(NATS_BIN, ['-c', join(this.dir, 'server.conf')], { stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 15_000;
    while (!(await portAnswers(this.port))) {
      if (!this.running) throw new ScriptError(`nats-server ${this.name} exited at start; see ${shown(this.logFile)}`);
      if (Date.now() > deadline) throw new ScriptError(`nats-server ${this.name} does not listen on ${this.port} after 15 s; see ${shown(this.logFile)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal: SIGKILL (and waits for the exit), or SIGSTOP / SIGCONT to freeze and thaw it. */
  async signal(name) {
    if (!this.running) return;
    const exited = this.exited;
    this.child.kill(name);
    if (name === 'SIGKILL' || name === 'SIGTERM') await exited;
  }

  async stop() {
    if (this.running) {
      this.child.kill('SIGCONT');
      await this.signal('SIGTERM');
    }
  }

  /** Synchronous last resort when the script itself is exiting. */
  killNow() {
    if (this.running) {
      this.child.kill('SIGCONT');
      this.child.kill('SIGKILL');
    }
  }

  remove() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Memory of a process, in kB: resident now (VmRSS), its peak so far (VmHWM), and its proportional
 * share (Pss: a page shared by n processes counts 1/n in each); nulls once it has gone.
 */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: field('VmRSS'), peakKb: field('VmHWM'), pssKb: pssOf(pid) };
  } catch {
    return { rssKb: NaN, peakKb: NaN, pssKb: NaN };
  }
}

function pssOf(pid) {
  try {
    return Number(/^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/**
 * Samples, every `intervalMs`, the memory of every process a script started (`processes()`
 * returns { label, pid } for those running now), keeping the peak of the sum and each label's own
 * peak (VmHWM, which the kernel keeps between samples). A process restarted under the same label
 * keeps the larger peak. The sum is of Pss, not RSS: PostgreSQL's shared buffers are resident in
 * every backend that touched them, and summing RSS over a few hundred backends counted them a few
 * hundred times (27 GB "used" on a machine whose `free` showed 5 GB).
 */
export class MemorySampler {
  peakTotalKb = 0;
  peakByLabel = new Map();
  timer;

  constructor(processes, intervalMs = 500) {
    this.processes = processes;
    this.intervalMs = intervalMs;
  }

  start() {
    const tick = () => {
      const began = performance.now();
      this.sample();
      // Reading Pss walks each process's page tables: with a few hundred PostgreSQL backends a
      // sample costs tens of milliseconds, so the sampler keeps itself under a tenth of one core.
      this.timer = setTimeout(tick, Math.max(this.intervalMs, 10 * (performance.now() - began)));
      this.timer.unref();
    };
    tick();
    return this;
  }

  sample() {
    let total = 0;
    for (const { label, pid } of this.processes()) {
      if (!pid) continue;
      const { pssKb, peakKb } = memoryOf(pid);
      if (Number.isFinite(pssKb)) total += pssKb;
      if (Number.isFinite(peakKb)) this.peakByLabel.set(label, Math.max(this.peakByLabel.get(label) ?? 0, peakKb));
    }
    this.peakTotalKb = Math.max(this.peakTotalKb, total);
    return total;
  }

  stop() {
    clearTimeout(this.timer);
    this.sample();
  }

  /** Peaks in MB: { totalMb, byLabel: { label: MB } }. */
  report() {
    const mb = (kb) => Math.round((kb / 1024) * 10) / 10;
    return { totalMb: mb(this.peakTotalKb), byLabel: Object.fromEntries([...this.peakByLabel].map(([k, v]) => [k, mb(v)])) };
  }
}
