#!/usr/bin/env node
// `npm run federation -- --topology small|zhejiang`: a whole tree of tdx nodes on this machine,
// with the real division codes of Zhejiang: one nats-server per node process in the leaf chain,
// one database per node on the local PostgreSQL, the nodes joined and approved. Prints where
// everything is, then runs until Ctrl-C (or SIGTERM), when it stops everything it started and
// drops its databases; states the peak memory of all it started (summed RSS, sampled).
//
//   --topology small      the province, Hangzhou (Xihu, Binjiang), Ningbo (Yinzhou)  (default)
//   --topology zhejiang   1 province, 11 cities, 90 counties
//   --once                stop as soon as everything is up and joined (for checks and CI)
//   --keep                keep the databases at the end (dropped at the next start)
//   --own-postgres        the databases on a PostgreSQL cluster of the script's own (initdb in a
//                         temporary directory, a free port, max_connections sized for the tree),
//                         removed at the end; the default for zhejiang, whose 102 nodes hold
//                         about 400 connections, more than a stock server's 100
//   --all-standalone      every node in a process of its own (by default a city's process hosts
//                         its counties, TDX_NODES_FILE, except the few that run their own)
//
// Environment: FEDERATION_PG_URL (postgres://postgres@localhost:5432/postgres; when set, it is used
// even for zhejiang).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KitError, preflightDatabase, ROOT, ScriptError, shown } from './lib/local-federation.mjs';
import { LocalTree } from './lib/local-tree.mjs';
import { OwnedPostgres } from './lib/owned-postgres.mjs';
import { buildTopology } from './lib/topology.mjs';

const args = process.argv.slice(2);
function option(name, fallback) {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  if (args[at + 1] === undefined) throw new ScriptError(`--${name} needs a value`);
  return args[at + 1];
}

const log = (message = '') => process.stdout.write(`${message}\n`);
let pgAdminUrl = process.env.FEDERATION_PG_URL ?? 'postgres://postgres@localhost:5432/postgres';
let tree;
let ownedPg;
let stopping;

async function main() {
  const topology = buildTopology(option('topology', 'small'), { hosting: !args.includes('--all-standalone') });
  const workDir = join(ROOT, '.tdx/federation');
  mkdirSync(workDir, { recursive: true });
  if (!process.env.FEDERATION_PG_URL && (topology.name === 'zhejiang' || args.includes('--own-postgres'))) {
    ownedPg = await OwnedPostgres.start({ maxConnections: topology.nodes.length * 12 + 50 });
    pgAdminUrl = ownedPg.adminUrl;
    log(`own PostgreSQL cluster on 127.0.0.1:${ownedPg.port} (${ownedPg.dir}; its log ${ownedPg.logFile}), removed at the end`);
  }
  log(`tdx federation "${topology.name}": ${topology.nodes.length} nodes in ${topology.processes.length} processes, on ${pgAdminUrl.replace(/\/[^/]*$/, '')}`);
  await preflightDatabase(pgAdminUrl);
  tree = new LocalTree({ topology, label: 'federation', pgAdminUrl, workDir, log, keepDatabases: args.includes('--keep') && !ownedPg, ownedPostgres: ownedPg });
  const started = Date.now();
  await tree.start();
  log(`\neverything up in ${((Date.now() - started) / 1000).toFixed(1)} s:\n`);
  log(tree.describe());
  log(`\nnats-server logs and stores: ${shown(join(workDir, 'nats'))}/<code>/; node keys: ${shown(join(workDir, 'keys'))}/`);
  log(
    `sign in as "admin" with the password in ${shown(join(workDir, 'passwords'))}/<code>: npx tdx login --node <url> --username admin < ${shown(join(workDir, 'passwords'))}/<code>`,
  );
  log(`each node's API documentation: <url>/api/docs; health: <url>/health; metrics: <url>/metrics`);
  log(`peak memory so far: ${tree.sampler.report().totalMb} MB (sum of the RSS of every process started)`);
  if (args.includes('--once')) return;
  log('\nthe federation is running; press Ctrl-C to stop it');
  await new Promise((resolve) => {
    const watcher = setInterval(() => {
      if (stopping || [...tree.nodes.values()].every((n) => !n.running)) {
        clearInterval(watcher);
        resolve();
      }
    }, 1000);
  });
}

async function stopAll() {
  stopping ??= (async () => {
    if (!tree) {
      ownedPg?.stop();
      return;
    }
    log('\nstopping the nodes, then the nats-servers ...');
    await tree.stop();
    tree.removeWorkDir();
    ownedPg?.stop();
    const memory = tree.sampler.report();
    const top = Object.entries(memory.byLabel)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([label, mb]) => `${label} ${mb} MB`)
      .join(', ');
    log(`stopped; peak memory ${memory.totalMb} MB summed over every process started (largest peaks: ${top})`);
  })();
  return stopping;
}

let signalled = 0;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (++signalled > 1) {
      log('second signal: killing everything');
      tree?.killNow();
      process.exit(130);
    }
    void stopAll().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
process.on('exit', () => {
  tree?.killNow();
  try {
    ownedPg?.stop();
  } catch {
    // Exiting anyway.
  }
});

main().then(
  async () => {
    await stopAll();
    process.exit(0);
  },
  async (error) => {
    process.stderr.write(`\nfederation failed: ${error instanceof KitError ? error.message : error.stack}\n`);
    await stopAll().catch(() => undefined);
    process.exit(1);
  },
);
