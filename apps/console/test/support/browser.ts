import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Where screenshots of every page go (per language), kept as the CI run's artefacts. */
export const ARTIFACTS = resolve(__dirname, '../../test-artifacts');

/** Debian's Chromium (apt-get install chromium; .ci/run installs it when absent). */
export function chromiumPath(): string {
  const found =
    process.env.CHROMIUM_PATH ?? execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser || true'], { encoding: 'utf8' }).trim();
  if (!found) throw new Error('no chromium on this machine: apt-get install chromium');
  return found;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A fresh profile (no cookies, no storage) on a 1366×768 laptop screen, the console's smallest target. */
export async function newContext(
  browser: Browser,
  options: { locale?: 'zh-CN' | 'en'; viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1366, height: 768 },
    locale: options.locale ?? 'zh-CN',
    timezoneId: 'Europe/London',
  });
  if (options.locale === 'en') await context.addInitScript(() => window.localStorage.setItem('tdx.locale', 'en'));
  return context;
}

/** Signs in through the sign-in page, as a person would, and waits for the console's navigation. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('button[type=submit]').click();
  await page.locator('nav.side-nav').waitFor();
}

const AXE_SOURCE = () => readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
}

/** axe-core run in the page: the violations of impact serious or critical (WCAG 2.1 A and AA rules). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE()); // evaluated by the test, not as a page script: the page's CSP rightly forbids inline scripts
  const violations = await page.evaluate(async () => {
    const result = await (
      window as unknown as {
        axe: { run: (ctx: Document, options: unknown) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: unknown[] }[] }> };
      }
    ).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A full-page screenshot into test-artifacts/screenshots/<locale>/<name>.png. */
export async function screenshot(page: Page, locale: string, name: string): Promise<string> {
  const dir = join(ARTIFACTS, 'screenshots', locale);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
