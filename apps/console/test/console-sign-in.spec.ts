import type { Browser } from 'playwright-core';
import { launchBrowser, newContext, screenshot, seriousViolations, signIn } from './support/browser';
import { startThreeTiers, ThreeTiers } from './support/federation';

/** The console as a person meets it: the sign-in page, a wrong password, the first page, the language, a reload. */
describe('console: sign-in', () => {
  let tiers: ThreeTiers;
  let browser: Browser;

  beforeAll(async () => {
    [tiers, browser] = await Promise.all([startThreeTiers('con_signin'), launchBrowser()]);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await tiers?.stop();
  });

  it('refuses a wrong password with a message and keeps the user on the sign-in page', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${tiers.county.url}/`);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'zh-CN', 'sign-in');
    await page.locator('input[name=username]').fill('admin');
    await page.locator('input[name=password]').fill('not-the-password');
    await page.locator('button[type=submit]').click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('用户名或密码错误');
    expect(await page.locator('nav.side-nav').count()).toBe(0);
    await screenshot(page, 'zh-CN', 'sign-in-refused');
    await context.close();
  });

  it('signs in, shows the node in Chinese, switches to English, and a reload keeps the session without any token in storage', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, tiers.county.url, 'admin', tiers.password);
    await expect(page.locator('h1').textContent()).resolves.toBe('节点概览');
    await expect(page.locator('.facts').textContent()).resolves.toContain('330106');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'zh-CN', 'overview');

    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.locator('h1').textContent()).resolves.toBe('Node overview');
    await screenshot(page, 'en', 'overview');

    // Nothing that grants access is readable by the page's scripts.
    const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage }) + JSON.stringify({ ...window.sessionStorage }) + document.cookie);
    expect(stored).not.toMatch(/eyJ|refresh|Bearer/i);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'tdx_refresh')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    await page.reload();
    await page.locator('nav.side-nav').waitFor();
    await expect(page.locator('h1').textContent()).resolves.toBe('Node overview');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('input[name=username]').waitFor();
    await page.reload();
    await page.locator('input[name=username]').waitFor();
    expect(await page.locator('nav.side-nav').count()).toBe(0);
    await context.close();
  });
});
