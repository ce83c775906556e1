#!/usr/bin/env node
// `npm run bench`: every benchmark one after the other (bench:replication, bench:return,
// bench:csv, bench:channel, bench:province, bench:quality, bench:scorecard), each as its own process with its output in a log
// file; then one JSON report (each benchmark's figures, its headline figure beside its baseline and
// their ratio, the machine) and a table of the headlines. Each benchmark's last line of output is
// the JSON object of its figures (scripts/lib/local-federation.mjs, runBenchmark).
//
//   --size full    the sizes of the targets (default): takes a long time, run it on a quiet machine
//   --size ci      small sizes: every benchmark in a few minutes, figures only indicative
//   --only a,b     some of them (replication, return, csv, channel, province, quality, scorecard)
//   --out FILE     where the report goes (default .tdx/bench/report.json; the table beside it, .txt)
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { once } from 'node:events';
import { ROOT, ScriptError, shown, table } from './lib/local-federation.mjs';

/** Each benchmark: its script, its arguments at each size, and how its headline, baseline and ratio are read from its figures. */
const BENCHMARKS = {
  replication: {
    script: 'bench-replication.mjs',
    args: { full: [], ci: ['--changes', '2000', '--seconds', '5', '--rate', '100'] },
    headline: (f) => ({
      figure: f.e2eChangesPerSec,
      unit: 'changes/s county -> province',
      baseline: Math.min(f.rawPublishPerSec, f.rawConsumePerSec),
      baselineIs: 'raw JetStream (slower direction)',
      ratio: f.ratio,
    }),
  },
  return: {
    script: 'bench-return.mjs',
    args: { full: [], ci: ['--rows', '20000'] },
    headline: (f) => {
      const r = f.returns?.[0] ?? {};
      return {
        figure: r.rowsPerSec,
        unit: `rows/s returned to ${r.receiver ?? '?'}`,
        baseline: r.copyBaselineRowsPerSec,
        baselineIs: 'COPY to COPY',
        ratio: r.ratio,
      };
    },
  },
  csv: {
    script: 'bench-csv.mjs',
    args: { full: [], ci: ['--rows', '20000'] },
    headline: (f) => ({
      figure: f.figures?.ours?.recordsPerSecond,
      unit: 'CSV records/s parsed',
      baseline: f.figures?.['csv-parse']?.recordsPerSecond,
      baselineIs: 'csv-parse',
      ratio: f.ratio ? Number((1 / f.ratio).toFixed(3)) : null,
    }),
  },
  channel: {
    script: 'bench-channel.mjs',
    args: { full: [], ci: ['--seconds', '3', '--entries', '2000'] },
    headline: (f) => ({
      figure: f.channel?.queries?.perSecond,
      unit: 'channel queries/s',
      baseline: f.channel?.raw?.perSecond,
      baselineIs: 'raw NATS request/reply',
      ratio: f.channel?.ratioToRawNats,
    }),
  },
  province: {
    script: 'bench-province.mjs',
    args: { full: [], ci: ['--topology', 'small', '--entries', '2000'] },
    headline: (f) => ({
      figure: f.convergeSecondsAfterLast,
      unit: `s to agree after the last of ${f.entries} entries (${f.nodes} nodes); ${f.entriesPerSec} entries/s; peak ${f.peakMemoryMb} MB`,
      baseline: f.targetConvergeSeconds,
      baselineIs: 'target (s)',
      ratio: f.targetConvergeSeconds ? Number((f.convergeSecondsAfterLast / f.targetConvergeSeconds).toFixed(3)) : null,
    }),
  },
  quality: {
    script: 'bench-quality.mjs',
    args: { full: [], ci: ['--rows', '100000'] },
    headline: (f) => ({
      figure: f.checkRowsPerSec,
      unit: `rows/s quality check (${f.rows} rows in ${f.checkSeconds} s; peak ${f.peakRssMiB} MiB)`,
      baseline: f.baselineRowsPerSec,
      baselineIs: 'the same keyset scan without checks (rows/s)',
      ratio: f.ratio,
    }),
  },
  scorecard: {
    script: 'bench-scorecard.mjs',
    args: { full: [], ci: ['--entries', '10000'] },
    headline: (f) => ({
      figure: f.scorecardMs,
      unit: `ms for the province's scorecard of ${f.divisions} divisions over ${f.entries} entries`,
      baseline: f.baselineMs,
      baselineIs: 'SELECT count(*) of the same tables (ms)',
      ratio: f.ratio,
    }),
  },
};

const args = process.argv.slice(2);
function option(name, fallback) {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  if (args[at + 1] === undefined) throw new ScriptError(`--${name} needs a value`);
  return args[at + 1];
}
const log = (message = '') => process.stdout.write(`${message}\n`);

/** Runs one benchmark, its output teed to a log file; returns its figures (its last line) or its failure. */
async function run(name, size, logDir) {
  const bench = BENCHMARKS[name];
  const logFile = join(logDir, `${name}.log`);
  const out = createWriteStream(logFile);
  const started = Date.now();
  const child = spawn(process.execPath, [join(ROOT, 'scripts', bench.script), ...bench.args[size]], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  // A benchmark prints some hundred lines: kept whole, its last line read at the end.
  let printed = '';
  child.stdout.on('data', (chunk) => {
    out.write(chunk);
    printed += chunk;
  });
  child.stderr.on('data', (chunk) => out.write(chunk));
  const [code] = await once(child, 'exit');
  out.end();
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  if (code !== 0) return { ok: false, seconds, error: `exited ${code}; see ${shown(logFile)}` };
  try {
    const figures = JSON.parse(printed.trimEnd().split('\n').pop());
    return { ok: true, seconds, figures, headline: bench.headline(figures) };
  } catch {
    return { ok: false, seconds, error: `its last line is not JSON; see ${shown(logFile)}` };
  }
}

async function main() {
  const size = option('size', 'full');
  if (!['full', 'ci'].includes(size)) throw new ScriptError('--size is full or ci');
  const only = option('only', Object.keys(BENCHMARKS).join(',')).split(',');
  for (const name of only) if (!(name in BENCHMARKS)) throw new ScriptError(`unknown benchmark ${name}; one of ${Object.keys(BENCHMARKS).join(', ')}`);
  const out = resolve(option('out', join(ROOT, '.tdx/bench/report.json')));
  const logDir = join(dirname(out), 'runs');
  mkdirSync(logDir, { recursive: true });
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    loadAverageAtStart: loadavg(),
  };
  log(`npm run bench (size ${size}): ${only.join(', ')}; ${machine.cpus} cpus, ${machine.memoryMb} MB, node ${machine.node}; outputs in ${shown(logDir)}`);
  const results = {};
  for (const name of only) {
    log(`\n${name} ...`);
    results[name] = await run(name, size, logDir);
    log(results[name].ok ? `  done in ${results[name].seconds} s` : `  FAILED: ${results[name].error}`);
  }
  const report = { when: new Date().toISOString(), size, machine, benchmarks: results };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const text = table(
    ['benchmark', 'figure', 'what', 'baseline', 'baseline is', 'ratio', 'seconds'],
    only.map((name) => {
      const r = results[name];
      if (!r.ok) return [name, 'FAILED', r.error, '', '', '', r.seconds];
      const h = r.headline;
      return [name, h.figure, h.unit, h.baseline, h.baselineIs, h.ratio, r.seconds];
    }),
  );
  writeFileSync(out.replace(/\.json$/, '') + '.txt', `${text}\n`);
  log(`\n${text}\n\nreport: ${shown(out)}; table: ${shown(out.replace(/\.json$/, '') + '.txt')}`);
  if (only.some((name) => !results[name].ok)) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.message}\n`);
  process.exit(1);
});
