import { api, apiOk, authHeaders } from '@tdx/testing';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { launchBrowser, newContext, screenshot, seriousViolations, signIn } from './support/browser';
import { startThreeTiers, type ThreeTiers } from './support/federation';

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const ITEMS = [
  { name: 'uscc', type: 'string', sensitive: false },
  { name: 'company', type: 'string', sensitive: false },
  { name: 'capital', type: 'integer', sensitive: false },
];
// Rows of the county (the ones returned), of a sibling district and of the city itself (not returned).
const REGIONS: Record<string, number> = { 330106: 63, 330108: 15, 330100: 5 };
const CLERK = { username: 'clerk.zhang', password: 'Clerk-Passw0rd-2026' };

/**
 * Article 9 in the console on three real tiers: the county asks the province for an entry's rows,
 * the province approves in its browser, the county follows the transfer to the end and pages
 * through the rows (as many as the province holds for the county, by an independent API query).
 * Also: a too-short new password refused beside its field, and an institution user who sees
 * neither the accounts page nor the decision buttons. Every page: screenshots zh-CN and en, axe clean.
 */
describe('console: returns, shares, accounts', () => {
  let tiers: ThreeTiers;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const entryName = '企业登记信息 E2E';
  let entryId = '';

  beforeAll(async () => {
    [tiers, browser] = await Promise.all([startThreeTiers('console_returns'), launchBrowser()]);
    const province = tiers.province.url;
    const institution = await apiOk(province, 'POST', '/api/v1/institutions', { name: '省市场监督管理局', kind: 'government' });
    // Conditional sharing: the province decides (an unconditional entry would be granted at once).
    const entry = await apiOk(province, 'POST', '/api/v1/catalog/entries', {
      type: 'data',
      name: entryName,
      summary: 'Enterprises of the province',
      providerId: institution.body.id,
      category: 'market-regulation',
      grade: 'L2',
      shareType: 'conditional',
      shareCondition: 'for supervision only',
      openType: 'restricted',
      updateCycle: 'irregular',
      dataItems: ITEMS,
    });
    entryId = entry.body.id;
    const lines = Object.entries(REGIONS).flatMap(([region, count]) =>
      Array.from(
        { length: count },
        (_, i) => `${region}-${String(i).padStart(4, '0')},${region},91${region}MA${String(i).padStart(8, '0')},Company ${region}/${i},${1000 * i}`,
      ),
    );
    const uploaded = await fetch(`${province}/api/v1/datasets/${entryId}/rows`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', ...(await authHeaders(province)) },
      body: ['row_key,region_code,uscc,company,capital', ...lines].join('\n'),
    });
    expect(uploaded.status).toBe(200);
    await apiOk(province, 'POST', '/api/v1/accounts', { ...CLERK, roles: [{ role: 'institution-user', institutionId: institution.body.id }] });
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

  /**
   * A screenshot in both languages (switched in place; the click is dispatched, as an open dialog's backdrop
   * covers the header), each axe clean; the page ends in the language it began in.
   */
  async function checkBoth(page: Page, name: string) {
    const first = (await page.evaluate(() => document.documentElement.lang)) === 'en' ? 'en' : 'zh-CN';
    for (const locale of [first, first === 'en' ? 'zh-CN' : 'en']) {
      if (locale !== first) await page.locator('.top-bar button[lang]').dispatchEvent('click');
      await page.waitForFunction((l) => document.documentElement.lang === l, locale);
      await page.locator('h1').waitFor();
      await screenshot(page, locale, name);
      if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
      expect({ name, locale, violations: await violationsOfThePage(page) }).toEqual({ name, locale, violations: [] });
    }
    await page.locator('.top-bar button[lang]').dispatchEvent('click');
    await page.waitForFunction((l) => document.documentElement.lang === l, first);
  }

  it('returns the province rows of the county: requested at the county, approved at the province, followed to the end', async () => {
    const county = await open('zh-CN', tiers.county.url);
    await county.getByRole('link', { name: '数据回流', exact: true }).click();
    await county.getByRole('heading', { level: 1, name: '数据回流' }).waitFor();
    await county.getByRole('button', { name: '申请回流' }).click();
    const entrySelect = county.getByLabel(/^数据目录/);
    await county.locator(`option[value="${entryId}"]`).waitFor({ state: 'attached' });
    await entrySelect.selectOption(entryId);
    await expectValue(county.getByLabel(/^持有节点区划代码/), '330000');
    await checkBoth(county, 'returns-request-form');
    await county.getByRole('button', { name: '提交申请' }).click();
    const outgoingRow = county.getByRole('row', { name: new RegExp(entryName) });
    // Refused beside the field: no purpose.
    await expectAttribute(county.getByLabel(/^用途/), 'aria-invalid', 'true');
    await county.getByLabel(/^用途/).fill('区县市场监管');
    await county.getByRole('button', { name: '提交申请' }).click();
    await outgoingRow.getByText('待审批').waitFor();
    await checkBoth(county, 'returns');

    const province = await open('en', tiers.province.url);
    await province.getByRole('link', { name: 'Data returns', exact: true }).click();
    const incomingRow = province.getByRole('row', { name: new RegExp(entryName) });
    await incomingRow.getByRole('button', { name: 'Approve' }).click();
    const dialog = province.getByRole('dialog');
    await dialog.getByLabel(/^Note/).fill('approved for supervision');
    await checkBoth(province, 'returns-approve-dialog');
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await incomingRow.getByText('Granted').waitFor();
    await expect(incomingRow.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
    await checkBoth(province, 'returns-incoming');

    await outgoingRow.getByRole('link', { name: entryName }).click();
    await county.getByRole('heading', { level: 1, name: `回流：${entryName}` }).waitFor();
    await county.getByRole('progressbar', { name: '传输进度' }).first().waitFor({ timeout: 30_000 });
    await county.locator('.return-job').first().getByText('已完成').waitFor({ timeout: 30_000 });
    const expected = await provinceRowsOf('330106');
    expect(expected).toBe(REGIONS[330106]);
    await county.locator('.return-job').first().getByText(`${expected} / ${expected} 行`).waitFor();

    const table = county.getByRole('table', { name: '已回流的数据' });
    let seen = 0;
    await pollUntil(async () => (await table.locator('tbody tr').count()) === 50, 10_000);
    const regions = new Set<string>();
    for (;;) {
      const rows = table.locator('tbody tr');
      const n = await rows.count();
      for (let i = 0; i < n; i++) regions.add((await rows.nth(i).locator('td').nth(1).textContent()) ?? '');
      seen += n;
      const next = county.getByRole('button', { name: '下一页' });
      if (await next.isDisabled()) break;
      const firstKey = await rows.first().locator('td').first().textContent();
      await next.click();
      await pollUntil(async () => (await table.locator('tbody tr').first().locator('td').first().textContent()) !== firstKey, 10_000);
    }
    expect(seen).toBe(expected);
    expect([...regions]).toEqual(['330106']);
    await checkBoth(county, 'returns-detail');
  }, 90_000);

  it('refuses a too-short new password beside the field (change my password)', async () => {
    const page = await open('en', tiers.county.url);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { level: 1, name: 'Change my password' }).waitFor();
    await page.getByLabel(/^Current password/).fill(tiers.password);
    await page.getByLabel(/^New password \(/).fill('Sh0rt!');
    await page.getByLabel(/^New password again/).fill('Sh0rt!');
    await page.getByRole('button', { name: 'Change password' }).last().click();
    const field = page.getByLabel(/^New password \(/);
    await expectAttribute(field, 'aria-invalid', 'true');
    const describedBy = (await field.getAttribute('aria-describedby'))!.split(' ');
    const texts = await Promise.all(describedBy.map((id) => page.locator(`[id="${id}"]`).textContent()));
    expect(texts.join(' ')).toMatch(/at least 12 characters/);
    await checkBoth(page, 'account-password-refused');
    // The old password still signs in: nothing changed.
    expect((await api(tiers.county.url, 'POST', '/api/v1/auth/login', { username: 'admin', password: tiers.password })).status).toBe(200);
  }, 60_000);

  it('accounts and shares pages for the administrator; an institution user sees neither accounts nor decisions', async () => {
    const admin = await open('en', tiers.province.url);
    await admin.getByRole('link', { name: 'Accounts', exact: true }).click();
    await admin.getByRole('cell', { name: CLERK.username, exact: true }).waitFor();
    await checkBoth(admin, 'accounts');
    await admin.getByRole('button', { name: 'New account' }).click();
    await admin.getByRole('heading', { level: 2, name: 'New account' }).waitFor();
    await checkBoth(admin, 'accounts-new');
    await admin.getByRole('button', { name: `Roles of ${CLERK.username}` }).click();
    await admin.getByRole('dialog', { name: `Roles of ${CLERK.username}` }).waitFor();
    await checkBoth(admin, 'accounts-roles');
    await admin.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    // On a tablet the page does not scroll sideways (wide tables scroll inside their own box).
    await admin.setViewportSize({ width: 800, height: 1000 });
    await screenshot(admin, 'en', 'accounts-tablet');
    expect(await admin.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
    await admin.setViewportSize({ width: 1366, height: 768 });
    await admin.getByRole('link', { name: 'Data shares', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: 'Data shares' }).waitFor();
    await checkBoth(admin, 'shares');

    const clerk = await open('en', tiers.province.url, CLERK.username, CLERK.password);
    await expect(clerk.getByRole('link', { name: 'Accounts', exact: true }).count()).resolves.toBe(0);
    await clerk.getByRole('link', { name: 'Data returns', exact: true }).click();
    const row = clerk.getByRole('row', { name: new RegExp(entryName) });
    await row.getByText('Granted').waitFor();
    await expect(clerk.getByRole('button', { name: /^(Approve|Reject|Revoke)$/ }).count()).resolves.toBe(0);
    await checkBoth(clerk, 'returns-institution-user');
    await clerk.goto(`${tiers.province.url}/accounts`);
    await clerk.getByRole('heading', { level: 1, name: 'Your role may not open this page' }).waitFor();
    await checkBoth(clerk, 'accounts-not-allowed');
  }, 60_000);

  /** The province's own rows of a region, by its dataset API (not through the returns). */
  async function provinceRowsOf(region: string): Promise<number> {
    let count = 0;
    let cursor: string | null = null;
    do {
      const query: string = `region=${region}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await apiOk(tiers.province.url, 'GET', `/api/v1/datasets/${entryId}/rows?${query}`);
      count += page.body.items.filter((r: { regionCode?: string; region_code?: string }) => (r.regionCode ?? r.region_code) === region).length;
      cursor = page.body.nextCursor;
    } while (cursor);
    return count;
  }
});

/** The foundation's language button names itself in the other language (lang set): axe's heuristic is not meant for it. */
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

async function expectAttribute(locator: Locator, name: string, value: string) {
  await pollUntil(async () => (await locator.getAttribute(name)) === value, 10_000);
}

async function expectValue(locator: Locator, value: string) {
  await pollUntil(async () => (await locator.inputValue()) === value, 10_000);
}

async function pollUntil(condition: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
