#!/usr/bin/env node
// `npm run bench:csv`: the node's own CSV reading of an upload (LineSplitter + CsvRecordParser, as
// the upload endpoint runs them) against the csv-parse library, in one process on the same bytes.
// The file has the upload format: row_key, region_code and five data items, one record in ten
// with a quoted field (a comma, doubled quotes, or a line break inside). It is handed over in
// 64 KiB chunks, as an HTTP body arrives. Both sides deliver the same records: fields with an
// empty unquoted field as null, and the line each record starts on.
//
//   ours              LineSplitter (UTF-8 checked, numbered lines) + CsvRecordParser
//   csv-parse         the stream API fed the same chunks, `on_record` taking each record (no
//                     stream buffering), `info` for the line and `cast` for the null; no UTF-8 check
//   csv-parse (bare)  the same without `info` and `cast`: it does less than ours (no line numbers,
//                     "" and an empty field alike), the library's best case
//
// Each runs three times, taking turns after a warm-up; the medians are compared.
//
//   --rows N     records in the file (default 200,000)
import { parse as parseStream } from 'csv-parse';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const require = createRequire(import.meta.url);
let ours;
try {
  ours = { ...require(join(ROOT, 'apps/node/dist/datasets/csv.js')), ...require(join(ROOT, 'apps/node/dist/datasets/lines.js')) };
} catch {
  console.error('bench-csv: build first (npm run build)');
  process.exit(2);
}

const rows = Number(/^--rows=?(\d+)$/.exec(process.argv.slice(2).join('='))?.[1] ?? 200_000);
const CHUNK = 64 * 1024;
const ROUNDS = 3;

function makeFile(n) {
  const lines = ['row_key,region_code,name,amount,registered_on,active,note'];
  const counties = ['330102', '330106', '330108', '330110', '330212', '330302', '330402'];
  for (let i = 0; i < n; i++) {
    const region = counties[i % counties.length];
    let note = `plain note ${i}`;
    if (i % 10 === 3) note = `"note with a comma, number ${i}"`;
    else if (i % 10 === 6) note = `"a ""quoted"" word in note ${i}"`;
    else if (i % 100 === 9) note = `"two lines\nin note ${i}"`;
    else if (i % 10 === 8) note = '';
    lines.push(
      `r${i},${region},杭州市企业${i % 997},${(i * 37) % 100000}.${String(i % 100).padStart(2, '0')},2026-${String((i % 12) + 1).padStart(2, '0')}-15,${i % 2 === 0},${note}`,
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

function chunksOf(buffer) {
  const chunks = [];
  for (let i = 0; i < buffer.length; i += CHUNK) chunks.push(buffer.subarray(i, i + CHUNK));
  return chunks;
}

/** What both sides compute per record, so neither is measured doing less. */
function take(state, fields, line) {
  state.records++;
  state.fields += fields.length;
  if (fields[6] === null) state.nulls++;
  state.lastLine = line;
}

function runOurs(chunks) {
  const state = { records: 0, fields: 0, nulls: 0, lastLine: 0 };
  const parser = new ours.CsvRecordParser();
  const handle = (result) => {
    if (result.kind === 'record') take(state, result.record.fields, result.record.line);
    else if (result.kind === 'error') throw new Error(`line ${result.line}: ${result.message}`);
  };
  const splitter = new ours.LineSplitter({
    line: (text, lineNo) => handle(parser.line(text, lineNo)),
    badEncoding: (lineNo) => {
      throw new Error(`line ${lineNo}: not UTF-8`);
    },
    tooLong: () => false,
    stopped: false,
  });
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  handle(parser.end());
  return state;
}

const LIBRARY_OPTIONS = {
  skip_empty_lines: true,
  relax_column_count: true,
  max_record_size: ours.MAX_LINE_BYTES,
  info: true,
  cast: (value, context) => (value === '' && !context.quoting ? null : value),
};

function runLibrary(chunks) {
  const state = { records: 0, fields: 0, nulls: 0, lastLine: 0 };
  return new Promise((resolve, reject) => {
    const parser = parseStream({
      ...LIBRARY_OPTIONS,
      on_record: ({ record, info }) => {
        take(state, record, info.lines);
        return null;
      },
    });
    parser.on('error', reject);
    parser.on('end', () => resolve(state));
    parser.resume();
    for (const chunk of chunks) parser.write(chunk);
    parser.end();
  });
}

function runLibraryBare(chunks) {
  const state = { records: 0, fields: 0, nulls: 0, lastLine: 0 };
  return new Promise((resolve, reject) => {
    const parser = parseStream({
      skip_empty_lines: true,
      relax_column_count: true,
      max_record_size: ours.MAX_LINE_BYTES,
      on_record: (record) => {
        take(
          state,
          record.map((field) => (field === '' ? null : field)),
          0,
        );
        return null;
      },
    });
    parser.on('error', reject);
    parser.on('end', () => resolve(state));
    parser.resume();
    for (const chunk of chunks) parser.write(chunk);
    parser.end();
  });
}

async function timed(run) {
  const start = process.hrtime.bigint();
  const state = await run();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, state };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const buffer = makeFile(rows);
const chunks = chunksOf(buffer);
const sides = {
  ours: () => runOurs(chunks),
  'csv-parse': () => runLibrary(chunks),
  'csv-parse (bare)': () => runLibraryBare(chunks),
};
console.log(`${rows.toLocaleString('en-US')} records, ${(buffer.length / 1024 / 1024).toFixed(1)} MiB, in ${chunks.length} chunks of 64 KiB`);

// Warm-up, and the check that both sides read the same records.
const seen = {};
for (const [name, run] of Object.entries(sides)) seen[name] = (await timed(run)).state;
const reference = JSON.stringify(seen.ours);
for (const [name, state] of Object.entries(seen)) {
  const same = name === 'csv-parse (bare)' ? { ...state, lastLine: seen.ours.lastLine } : state;
  if (JSON.stringify(same) !== reference) throw new Error(`${name} read ${JSON.stringify(state)}, ours ${reference}`);
}

const times = Object.fromEntries(Object.keys(sides).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(sides)) times[name].push((await timed(run)).ms);
}
const figures = {};
for (const [name, list] of Object.entries(times)) {
  const ms = median(list);
  figures[name] = { ms: Math.round(ms), recordsPerSecond: Math.round(rows / (ms / 1000)) };
  console.log(
    `${name.padEnd(18)} ${figures[name].recordsPerSecond.toLocaleString('en-US').padStart(11)} records/s  (median ${ms.toFixed(0)} ms; runs ${list.map((t) => t.toFixed(0)).join(', ')} ms)`,
  );
}
const ratio = figures['csv-parse'].recordsPerSecond / figures.ours.recordsPerSecond;
const ratioBare = figures['csv-parse (bare)'].recordsPerSecond / figures.ours.recordsPerSecond;
console.log(`csv-parse / ours: ${ratio.toFixed(3)} (the same output), ${ratioBare.toFixed(3)} (bare)`);
console.log(JSON.stringify({ rows, figures, ratio: Number(ratio.toFixed(3)), ratioBare: Number(ratioBare.toFixed(3)) }));
