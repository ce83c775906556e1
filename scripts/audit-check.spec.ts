import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The CI dependency audit's verdicts (scripts/audit-check.mjs) on saved `npm audit --json`
 * outputs: high and critical advisories fail unless excepted by advisory and package with a
 * reason; an unreachable audit endpoint passes with a plain "SKIPPED"; anything else fails.
 */
const SCRIPT = resolve(__dirname, 'audit-check.mjs');

function advisory(name: string, severity: string, ghsa: string) {
  return { source: 1, name, dependency: name, title: `${name} is vulnerable`, url: `https://github.com/advisories/${ghsa}`, severity, range: '<1.2.3' };
}

function report(...vias: ReturnType<typeof advisory>[]) {
  const vulnerabilities = Object.fromEntries(
    vias.map((via) => [via.name, { name: via.name, severity: via.severity, via: [via], effects: [], fixAvailable: false }]),
  );
  // A package vulnerable only through another names it as a string.
  if (vias.length > 0)
    vulnerabilities.wrapper = { name: 'wrapper', severity: vias[0].severity, via: [vias[0].name as never], effects: [], fixAvailable: false };
  return {
    auditReportVersion: 2,
    vulnerabilities,
    metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: vias.length, critical: 0, total: vias.length } },
  };
}

describe('npm audit check', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'tdx-audit-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function check(npmOutput: unknown, exceptions: unknown[] | string = []): Promise<{ code: number; output: string }> {
    const reportFile = join(dir, `report-${Math.random()}.json`);
    const exceptionsFile = join(dir, `exceptions-${Math.random()}.json`);
    writeFileSync(reportFile, JSON.stringify(npmOutput));
    writeFileSync(exceptionsFile, typeof exceptions === 'string' ? exceptions : JSON.stringify({ exceptions }));
    return new Promise((done) => {
      execFile(process.execPath, [SCRIPT, '--report', reportFile, '--exceptions', exceptionsFile], (error, stdout, stderr) =>
        done({ code: error ? Number(error.code) : 0, output: stdout + stderr }),
      );
    });
  }

  it('passes a report without high or critical advisories', async () => {
    expect(await check(report(advisory('a', 'moderate', 'GHSA-aaaa-bbbb-cccc')))).toMatchObject({
      code: 0,
      output: expect.stringContaining('no high or critical'),
    });
  });

  it('fails on a high or critical advisory, naming it', async () => {
    const result = await check(report(advisory('left-pad', 'high', 'GHSA-1111-2222-3333'), advisory('qs', 'critical', 'GHSA-4444-5555-6666')));
    expect(result.code).toBe(1);
    expect(result.output).toContain('FAIL: GHSA-1111-2222-3333 left-pad');
    expect(result.output).toContain('FAIL: GHSA-4444-5555-6666 qs');
    expect(result.output).toContain('2 high or critical advisories without a documented exception');
  });

  it('honours exactly the documented exceptions: same advisory and package, with a reason', async () => {
    const findings = report(advisory('left-pad', 'high', 'GHSA-1111-2222-3333'));
    const reason = 'only reachable from the CLI, which never receives untrusted input';
    const excepted = await check(findings, [{ advisory: 'GHSA-1111-2222-3333', package: 'left-pad', reason }]);
    expect(excepted).toMatchObject({ code: 0, output: expect.stringContaining(`excepted: GHSA-1111-2222-3333 left-pad (high): ${reason}`) });
    expect((await check(findings, [{ advisory: 'GHSA-1111-2222-3333', package: 'right-pad', reason }])).code).toBe(1);
    expect((await check(findings, [{ advisory: 'GHSA-9999-2222-3333', package: 'left-pad', reason }])).code).toBe(1);
    expect((await check(findings, [{ advisory: 'GHSA-1111-2222-3333', package: 'left-pad' }])).code).toBe(2);
    const stale = await check(report(), [{ advisory: 'GHSA-1111-2222-3333', package: 'left-pad', reason }]);
    expect(stale).toMatchObject({ code: 0, output: expect.stringContaining('matches no finding any more') });
  });

  it.each([
    [
      'a registry that does not serve the audit endpoint',
      {
        message: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk',
        method: 'POST',
        uri: 'https://registry.example/-/npm/v1/security/advisories/bulk',
        statusCode: 405,
      },
    ],
    ['no network', { error: { code: 'ENOTFOUND', summary: 'request to https://registry.example/-/npm/v1/security/advisories/bulk failed', detail: '' } }],
  ])('passes, saying plainly that nothing was checked, when the endpoint cannot be reached: %s', async (_label, output) => {
    const result = await check(output);
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/SKIPPED, the registry's audit endpoint could not be reached/);
    expect(result.output).toMatch(/NOT checked/);
  });

  it('fails on any other npm failure or a broken exceptions file', async () => {
    expect((await check({ error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.' } })).code).toBe(2);
    expect((await check(report(), '{"exceptions": {}}')).code).toBe(2);
    expect((await check(report(), 'not json')).code).toBe(2);
  });
});
