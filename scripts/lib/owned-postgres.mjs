// A PostgreSQL server of a script's own: a new cluster (initdb) in a temporary directory, on a
// free port of 127.0.0.1, which the script may restart or crash at will and removes at the end.
// The machine's own cluster (5432) is never touched. initdb and the server refuse to run as root,
// so as root they run as the `postgres` user (runuser), which owns the directory.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ScriptError } from './local-federation.mjs';

/** The newest PostgreSQL of the machine's packages (Debian lays them out by major version), or TDX_PG_BIN. */
function binDir() {
  if (process.env.TDX_PG_BIN) return process.env.TDX_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin/initdb'))) : [];
  if (versions.length === 0) throw new ScriptError(`no PostgreSQL server binaries under ${root} (set TDX_PG_BIN to the directory of initdb and pg_ctl)`);
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

export class OwnedPostgres {
  constructor({ dir, port, bin, runAs }) {
    Object.assign(this, { dir, port, bin, runAs });
    this.dataDir = join(dir, 'data');
    this.logFile = join(dir, 'server.log');
  }

  /**
   * initdb (trust authentication on the loopback only, UTF-8) and start. `maxConnections`: enough
   * for every node's pool.
   */
  static async start({ maxConnections = 200 } = {}) {
    const bin = binDir();
    const dir = mkdtempSync(join(tmpdir(), 'tdx-owned-pg-'));
    const root = process.getuid?.() === 0;
    if (root) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    const server = new OwnedPostgres({ dir, port: await freePort(), bin, runAs: root ? 'postgres' : undefined });
    server.run('initdb', ['-D', server.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    const options = [
      `-p ${server.port}`,
      `-k ${dir}`,
      "-c listen_addresses='127.0.0.1'",
      `-c max_connections=${maxConnections}`,
      // A crash of the server process (the fault injected) keeps what the OS has; flushing to
      // disk would only slow a shared machine. Commits stay synchronous: an acknowledged one survives.
      '-c fsync=off',
      '-c full_page_writes=off',
    ].join(' ');
    server.run('pg_ctl', ['-D', server.dataDir, '-l', server.logFile, '-o', options, '-w', '-t', '60', 'start']);
    return server;
  }

  get adminUrl() {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  run(tool, args) {
    const command = join(this.bin, tool);
    const result = this.runAs
      ? spawnSync('runuser', ['-u', this.runAs, '--', command, ...args], { encoding: 'utf8' })
      : spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new ScriptError(`${tool} ${args.join(' ')} failed (${result.status}): ${`${result.stderr}${result.stdout}`.trim().slice(-800)}`);
    }
    return result.stdout;
  }

  /** The server's processes now (the postmaster and its children), labelled for a MemorySampler. */
  processes() {
    try {
      const postmaster = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const children = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      return [postmaster, ...children].map((pid) => ({ label: 'postgres (own cluster)', pid }));
    } catch {
      return [];
    }
  }

  /** Restarts the server; `mode` immediate is a crash (recovery from WAL at start), fast a clean stop. */
  restart(mode = 'immediate') {
    // -l again: without it the new server writes to pg_ctl's output, which would never close.
    this.run('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-m', mode, '-w', '-t', '60', 'restart']);
  }

  /** Stops the server and removes its directory. */
  stop() {
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
      try {
        this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already gone: nothing to stop.
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
