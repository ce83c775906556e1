#!/usr/bin/env node
// `npm run bench:quality`: the quality check's dataset scan (apps/node/dist/quality: completeness
// and validity in one keyset scan, uniqueness by SQL, with the repository's own SQL) over a
// dataset of 1,000,000 rows loaded by COPY into a database of its own, against a same-run baseline:
// the same keyset scan reading the same columns with no checks. Prints rows/s, elapsed, the
// process's peak RSS, and the ratio; the last line is the JSON of the figures.
//
//   --rows N     rows in the dataset (default 1,000,000)
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const require = createRequire(import.meta.url);
const pg = require('pg');
const { from: copyFrom } = require('pg-copy-streams');
let dist;
try {
  dist = {
    ...require(join(ROOT, 'apps/node/dist/quality/entry-check.js')),
    ...require(join(ROOT, 'apps/node/dist/quality/rules/quality-rules-v1.js')),
    ...require(join(ROOT, 'apps/node/dist/datasets/dataset-row.repository.js')),
  };
} catch {
  console.error('bench-quality: build first (npm run build)');
  process.exit(2);
}

const rows = Number(/^--rows=?(\d+)$/.exec(process.argv.slice(2).join('='))?.[1] ?? 1_000_000);
const ADMIN = process.env.TDX_TEST_PG ?? 'postgres://postgres@localhost:5432/postgres';
const dbName = `tdx_bench_quality_${process.pid}`;
const ENTRY = '00000000-0000-4000-8000-000000000001';

const USCC_SET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
function uscc(i) {
  const body = `91330106MA${String(i).padStart(7, '0')}`;
  let sum = 0;
  for (let k = 0; k < 17; k++) sum += USCC_SET.indexOf(body[k]) * USCC_W[k];
  return body + USCC_SET[(31 - (sum % 31)) % 31];
}
const ID_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
function residentId(i) {
  const body = `33010619${String(50 + (i % 50))}0${(i % 9) + 1}1${i % 9}${String(i % 1000).padStart(3, '0')}`;
  let sum = 0;
  for (let k = 0; k < 17; k++) sum += Number(body[k]) * ID_W[k];
  return body + '10X98765432'[sum % 11];
}

const entry = {
  id: ENTRY,
  type: 'data',
  name: 'Enterprise register',
  summary: 'Registered enterprises of the division',
  category: 'market-regulation',
  format: 'csv',
  grade: 'L1',
  shareType: 'unconditional',
  shareCondition: null,
  legalBasis: null,
  openType: 'unconditional',
  updateCycle: 'daily',
  createdAt: new Date().toISOString(),
  dataItems: [
    { name: '统一社会信用代码', type: 'string', sensitive: false },
    { name: '法定代表人身份证号', type: 'string', sensitive: true },
    { name: '行政区划代码', type: 'string', sensitive: false },
    { name: '登记日期', type: 'date', sensitive: false },
    { name: '企业名称', type: 'string', sensitive: false },
  ],
};

function* copyLines() {
  for (let i = 0; i < rows; i++) {
    const data = {
      统一社会信用代码: uscc(i % 997 === 0 ? i + 1 : i),
      法定代表人身份证号: i % 1000 === 7 ? '330106199001011230' : residentId(i),
      行政区划代码: i % 500 === 3 ? undefined : '330106',
      登记日期: i % 777 === 5 ? '2023-02-29' : `2024-${String((i % 12) + 1).padStart(2, '0')}-15`,
      企业名称: `杭州市企业${i}`,
    };
    yield `${ENTRY}\tr${String(i).padStart(8, '0')}\t330106\t${JSON.stringify(data).replace(/\\/g, '\\\\')}\tf\t${i + 1}\n`;
  }
}

async function main() {
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(ADMIN);
  url.pathname = `/${dbName}`;
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await client.connect();
    // dataset_row as its migration makes it (the columns the check reads), without the catalog.
    await client.query(`CREATE TABLE dataset_row (entry_id uuid NOT NULL, row_key text NOT NULL, region_code text NOT NULL, data jsonb,
      deleted boolean NOT NULL DEFAULT false, change_seq bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (entry_id, row_key))`);
    let t = performance.now();
    const batches = (function* () {
      let buffer = [];
      for (const line of copyLines()) {
        buffer.push(line);
        if (buffer.length === 10_000) {
          yield buffer.join('');
          buffer = [];
        }
      }
      if (buffer.length) yield buffer.join('');
    })();
    await pipeline(Readable.from(batches), client.query(copyFrom(`COPY dataset_row (entry_id, row_key, region_code, data, deleted, change_seq) FROM STDIN`)));
    await client.query('VACUUM ANALYZE dataset_row');
    const loadSeconds = (performance.now() - t) / 1000;
    console.log(`loaded ${rows.toLocaleString('en')} rows by COPY in ${loadSeconds.toFixed(1)} s`);

    const manager = { query: (sql, params) => client.query(sql, params).then((r) => r.rows) };
    const repository = new dist.DatasetRowRepository(undefined, undefined);
    const reader = {
      page: (items, afterKey, limit) => repository.itemValues(manager, ENTRY, items, afterKey, limit),
      repeats: (item, n) => repository.repeatedValues(manager, ENTRY, item, n),
      lastWrite: () => repository.lastWrite(manager, ENTRY),
    };

    // Baseline: the same pages, the same columns, no checks.
    t = performance.now();
    let after = null;
    let seen = 0;
    const items = entry.dataItems.slice(0, 4).map((i) => i.name);
    for (;;) {
      const page = await reader.page(items, after, 5000);
      seen += page.length;
      if (page.length < 5000) break;
      after = page[page.length - 1].rowKey;
    }
    const baselineSeconds = (performance.now() - t) / 1000;

    t = performance.now();
    const found = await dist.checkEntry(entry, dist.QUALITY_RULES_V1, new Date(), reader);
    const checkSeconds = (performance.now() - t) / 1000;
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    const figures = {
      rows: found.rows,
      baselineRows: seen,
      checkSeconds: Number(checkSeconds.toFixed(2)),
      checkRowsPerSec: Math.round(found.rows / checkSeconds),
      baselineSeconds: Number(baselineSeconds.toFixed(2)),
      baselineRowsPerSec: Math.round(seen / baselineSeconds),
      ratio: Number((checkSeconds / baselineSeconds).toFixed(2)),
      peakRssMiB: Math.round(peakRssMiB),
      defects: found.tallies.filter((x) => x.defects > 0).map((x) => `${x.rule}=${x.defects}`),
    };
    console.log(
      `quality check: ${figures.rows.toLocaleString('en')} rows in ${figures.checkSeconds} s (${figures.checkRowsPerSec.toLocaleString('en')} rows/s)`,
    );
    console.log(
      `baseline (same keyset scan, no checks): ${figures.baselineSeconds} s (${figures.baselineRowsPerSec.toLocaleString('en')} rows/s); ratio ${figures.ratio}`,
    );
    console.log(`peak RSS of this process: ${figures.peakRssMiB} MiB; defects: ${figures.defects.join(', ')}`);
    console.log(JSON.stringify(figures));
  } finally {
    await client.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
