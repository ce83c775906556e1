#!/usr/bin/env node
// `node scripts/bench-console.mjs` (after `npm run build`): how fast the console's catalog page
// shows its first page, against the targets of the console (issue 16):
//
//   catalog first paint   a cold browser context (no cache) opens /catalog at a province holding
//                         --entries entries (default 10,000, registered through the bulk endpoint,
//                         1,000 a request): first contentful paint, and the time until the first
//                         row of the table is visible (target < 1.5 s)
//   catalog JavaScript    the gzip size of every JavaScript file that page loads (target < 300 KB)
//
// Measured in the same run, as baselines on the same machine and node: the first contentful paint
// of the sign-in page (cold), and fetch() of the same JSON page the catalog page asks for.
// Each figure is the median of --rounds cold runs (default 5). The browser is Chromium
// (CHROMIUM_PATH, or chromium on the PATH); PostgreSQL and NATS as for the integration tests.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { marketEntry } from './lib/sample-entries.mjs';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const require = createRequire(import.meta.url);
const { chromium } = require(join(ROOT, 'node_modules/playwright-core'));
let testing;
try {
  testing = require(join(ROOT, 'libs/testing/dist/index.js'));
} catch {
  console.error('bench-console: build first (npm run build)');
  process.exit(2);
}
const { NodeProcess, createTestDatabase, SHARED_NATS_URL, TEST_ADMIN_PASSWORD, apiOk, testNamespace, deleteNamespaceStreams } = testing;

const args = process.argv.slice(2).join(' ');
const ENTRIES = Number(/--entries[= ](\d+)/.exec(args)?.[1] ?? 10_000);
const ROUNDS = Number(/--rounds[= ](\d+)/.exec(args)?.[1] ?? 5);
const BULK = 1_000;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value) => `${Math.round(value)} ms`;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

function chromiumPath() {
  const found =
    process.env.CHROMIUM_PATH ?? execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser || true'], { encoding: 'utf8' }).trim();
  if (!found) throw new Error('no chromium on this machine');
  return found;
}

async function seed(base) {
  const institution = await apiOk(base, 'POST', '/api/v1/institutions', { name: 'Bench Bureau', kind: 'government' });
  const started = performance.now();
  for (let from = 0; from < ENTRIES; from += BULK) {
    const entries = Array.from({ length: Math.min(BULK, ENTRIES - from) }, (_, k) => marketEntry('浙江省', institution.body.id, from + k, { items: 'short' }));
    await apiOk(base, 'POST', '/api/v1/catalog/entries/bulk', { entries });
  }
  return performance.now() - started;
}

/** A fresh context signed in through the API in cookie mode (the refresh cookie set, no page loaded, nothing cached). */
async function signedInContext(browser, base) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  const answer = await context.request.post(`${base}/api/v1/auth/login`, {
    headers: { 'x-tdx-session': 'cookie' },
    data: { username: 'admin', password: TEST_ADMIN_PASSWORD },
  });
  if (!answer.ok()) throw new Error(`sign-in answered ${answer.status()}`);
  return context;
}

async function catalogRun(browser, base) {
  const context = await signedInContext(browser, base);
  const page = await context.newPage();
  const scripts = new Map();
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script')
      scripts.set(
        response.url(),
        response.body().catch(() => Buffer.alloc(0)),
      );
  });
  // Timed in the page: the frame after the first row's link enters the DOM (Playwright's own
  // polling would add its interval and a round trip to the figure).
  await page.addInitScript(() => {
    const observer = new MutationObserver(() => {
      if (!document.querySelector('table tbody td a')) return;
      observer.disconnect();
      requestAnimationFrame(() => (window.__firstRow = performance.now()));
    });
    observer.observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${base}/catalog`);
  await page.waitForFunction(() => window.__firstRow !== undefined);
  const timings = await page.evaluate(() => ({
    rowVisible: window.__firstRow,
    fcp: performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint')?.startTime ?? NaN,
  }));
  const bodies = await Promise.all([...scripts.values()]);
  const gzip = bodies.reduce((sum, body) => sum + gzipSync(body, { level: 9 }).length, 0);
  const raw = bodies.reduce((sum, body) => sum + body.length, 0);
  await context.close();
  return { ...timings, gzip, raw, files: scripts.size };
}

async function signInPageRun(browser, base) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.locator('input[name=username]').waitFor();
  const fcp = await page.evaluate(() => performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint')?.startTime ?? NaN);
  await context.close();
  return fcp;
}

async function fetchRun(base, token) {
  const started = performance.now();
  const response = await fetch(`${base}/api/v1/catalog/entries?limit=50&scope=subtree&status=active`, { headers: { authorization: `Bearer ${token}` } });
  const body = await response.json();
  if (body.items.length === 0) throw new Error('the catalog page is empty');
  return performance.now() - started;
}

async function main() {
  const namespace = testNamespace();
  const db = await createTestDatabase(`bench_console_${process.pid}`);
  const node = await NodeProcess.start({ code: '330000', databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  try {
    const seeding = await seed(node.url);
    console.log(`province 330000 with ${ENTRIES.toLocaleString('en')} entries (bulk, ${BULK} a request: ${ms(seeding)})`);
    const token = (await testing.login(node.url, 'admin', TEST_ADMIN_PASSWORD)).accessToken;
    // One warm-up of each (the node's first queries, Chromium's first start), not counted.
    await catalogRun(browser, node.url);
    await signInPageRun(browser, node.url);
    await fetchRun(node.url, token);
    const catalog = [];
    const signIn = [];
    const fetched = [];
    for (let round = 0; round < ROUNDS; round++) {
      catalog.push(await catalogRun(browser, node.url));
      signIn.push(await signInPageRun(browser, node.url));
      fetched.push(await fetchRun(node.url, token));
    }
    const last = catalog[catalog.length - 1];
    const rows = [
      ['catalog page, first contentful paint (cold)', ms(median(catalog.map((c) => c.fcp))), ''],
      ['catalog page, first table row visible (cold)', ms(median(catalog.map((c) => c.rowVisible))), 'target < 1500 ms'],
      [`catalog page JavaScript, gzip (${last.files} files, ${kb(last.raw)} raw)`, kb(last.gzip), 'target < 300 KB'],
      ['baseline: sign-in page, first contentful paint (cold)', ms(median(signIn)), ''],
      ['baseline: fetch() of the same JSON page (50 entries)', ms(median(fetched)), ''],
    ];
    console.log(`median of ${ROUNDS} rounds`);
    for (const [what, value, target] of rows) console.log(`  ${what.padEnd(62)} ${value.padStart(10)}  ${target}`);
    const ok = median(catalog.map((c) => c.rowVisible)) < 1500 && last.gzip < 300 * 1024;
    console.log(ok ? 'both targets met' : 'a target is missed');
    process.exitCode = ok ? 0 : 1;
  } finally {
    await browser.close();
    await node.stop().catch(() => undefined);
    await db.drop().catch(() => undefined);
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace).catch(() => undefined);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
