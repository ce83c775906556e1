import { apiOk, eventually } from '@tdx/testing';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newContext, screenshot, seriousViolations, signIn } from './support/browser';
import { startThreeTiers, ThreeTiers, TIERS } from './support/federation';

const AUDITOR = { username: 'auditor-fed', password: 'Audit-Passw0rd-of-tdx' };

/** Words of each language the checks look for (the pages' own catalogues say the same). */
const WORDS = {
  'zh-CN': {
    federation: '联邦状态',
    audit: '审计日志',
    metrics: '运行指标',
    healthy: '正常',
    approved: '已接入',
    filter: '筛选',
    verify: '校验哈希链',
    intact: '哈希链完整',
    action: '操作',
  },
  en: {
    federation: 'Federation',
    audit: 'Audit log',
    metrics: 'Metrics',
    healthy: 'Healthy',
    approved: 'Approved',
    filter: 'Filter',
    verify: 'Verify the chain',
    intact: 'The chain is intact',
    action: 'Action',
  },
} as const;
type Locale = keyof typeof WORDS;

async function openFromNav(page: Page, label: string): Promise<void> {
  await page
    .getByRole('navigation', { name: /主导航|Main navigation/ })
    .getByRole('link', { name: label, exact: true })
    .click();
  await page.locator('h1').filter({ hasText: label }).waitFor();
}

async function checkedScreenshot(page: Page, locale: Locale, name: string): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, locale, name);
}

/** The federation and supervision pages at the province of a running three-tier federation. */
describe('console: federation and supervision', () => {
  let tiers: ThreeTiers;
  let browser: Browser;

  beforeAll(async () => {
    // The metrics history sampled each 2 s instead of each minute, so the charts have points within the test.
    [tiers, browser] = await Promise.all([startThreeTiers('con_fed', { METRICS_HISTORY_INTERVAL: '2' }), launchBrowser()]);
    await apiOk(tiers.province.url, 'POST', '/api/v1/accounts', { ...AUDITOR, roles: [{ role: 'auditor' }] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await tiers?.stop();
  });

  for (const locale of ['zh-CN', 'en'] as const) {
    it(`shows the tree, the audit log and the charts at the province (${locale})`, async () => {
      const words = WORDS[locale];
      const context = await newContext(browser, { locale });
      const page = await context.newPage();
      await signIn(page, tiers.province.url, 'admin', tiers.password);

      // The tree: the city below the province, healthy, and the county known through the city.
      await openFromNav(page, words.federation);
      const drawing = page.locator('.tree-drawing svg[role=img]');
      await drawing.locator(`[data-code="${TIERS.city}"]`).waitFor();
      await drawing.locator(`[data-code="${TIERS.county}"]`).waitFor();
      const cityRow = page.locator(`.federation-tree tr[data-code="${TIERS.city}"]`);
      const countyRow = page.locator(`.federation-tree tr[data-code="${TIERS.county}"]`);
      // Heartbeats settle the city's link within a few intervals; the page asks again every 10 s.
      await cityRow.filter({ hasText: words.healthy }).waitFor({ timeout: 45_000 });
      await expect(drawing.locator(`[data-code="${TIERS.city}"]`).textContent()).resolves.toContain(words.healthy);
      await expect(countyRow.textContent()).resolves.toContain(words.approved);
      await expect(drawing.locator(`[data-code="${TIERS.county}"]`).textContent()).resolves.toContain(words.approved);
      await expect(page.locator('#trust-list-title').count()).resolves.toBe(1);
      await checkedScreenshot(page, locale, 'federation');
      // On a tablet the drawing scrolls in its own box; the page itself does not overflow.
      await page.setViewportSize({ width: 800, height: 1100 });
      await expect(page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).resolves.toBe(true);
      await screenshot(page, locale, 'federation-tablet');
      await page.setViewportSize({ width: 1366, height: 768 });

      // The audit log: records listed, then only those of one action.
      await openFromNav(page, words.audit);
      const table = page
        .locator('table')
        .filter({ has: page.locator('caption') })
        .first();
      await table.locator('tbody tr td.numeric').first().waitFor();
      const before = await table.locator('tbody tr').count();
      expect(before).toBeGreaterThan(1);
      await page.getByLabel(words.action, { exact: true }).fill('POST /api/v1/accounts');
      await page.getByRole('button', { name: words.filter, exact: true }).click();
      await page.waitForFunction(
        () => {
          const cells = [...document.querySelectorAll('table tbody tr .audit-action')].map((c) => c.textContent);
          return cells.length > 0 && cells.every((c) => c === 'POST /api/v1/accounts');
        },
        undefined,
        { timeout: 15_000 },
      );
      await checkedScreenshot(page, locale, 'audit');

      // Verification: the chain holds.
      await page.getByRole('button', { name: words.verify }).click();
      await expect(page.getByRole('status').filter({ hasText: words.intact }).textContent({ timeout: 30_000 })).resolves.toContain(words.intact);
      await checkedScreenshot(page, locale, 'audit-verified');

      // The charts: one a series, each with a title; the requests this test made are drawn, and tabled on request.
      await eventually(async () => {
        const history = await apiOk(tiers.province.url, 'GET', '/api/v1/metrics/history?series=http-requests&hours=1');
        if (!history.body.points.length) throw new Error('no requests sampled yet');
      }, 30_000);
      await openFromNav(page, words.metrics);
      const requests = page.locator('figure.chart').nth(3);
      await requests.locator('svg[role=img] g.series path').first().waitFor();
      await expect(page.locator('figure.chart h2').count()).resolves.toBe(4);
      await expect(requests.locator('svg[role=img] g.series path').first().getAttribute('d')).resolves.toMatch(/^M\d/);
      await requests.getByRole('button', { name: words.showTable }).click();
      await requests.locator('table tbody tr').first().waitFor();
      await checkedScreenshot(page, locale, 'metrics');
      await context.close();
    }, 120_000);
  }

  it('lets an auditor read the audit log but not administer the federation', async () => {
    const context = await newContext(browser, { locale: 'en' });
    const page = await context.newPage();
    await signIn(page, tiers.province.url, AUDITOR.username, AUDITOR.password);
    const nav = page.getByRole('navigation', { name: 'Main navigation' });
    await expect(nav.getByRole('link', { name: 'Audit log' }).count()).resolves.toBe(1);
    await expect(nav.getByRole('link', { name: 'Federation' }).count()).resolves.toBe(0);
    await openFromNav(page, 'Audit log');
    await page.locator('table tbody tr td.numeric').first().waitFor();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByRole('status').filter({ hasText: 'The chain is intact' }).waitFor({ timeout: 30_000 });
    await checkedScreenshot(page, 'en', 'audit-auditor');

    // The federation page is not there for this role, nor its decisions.
    await page.goto(`${tiers.province.url}/federation`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Your role may not open this page');
    await expect(page.getByRole('button', { name: /Approve|Reject|Revoke/ }).count()).resolves.toBe(0);
    await checkedScreenshot(page, 'en', 'federation-auditor');
    await context.close();
  }, 60_000);
});
