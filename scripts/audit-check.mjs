#!/usr/bin/env node
// CI's dependency audit: `npm audit --omit=dev`, failing on any high or critical advisory of a
// production dependency that .ci/npm-audit-exceptions.json does not list (by advisory and
// package, with a reason). When the registry's audit endpoint cannot be reached (a mirror that
// does not serve it, no network), it says so plainly and passes: the check was not done, and
// nothing else is taken for that. Options: --report FILE (judge a saved `npm audit --json`
// output instead of running npm), --exceptions FILE.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BLOCKING = new Set(['high', 'critical']);
// Network failures of the request to the audit endpoint.
const AUDIT_TIMEOUT_MS = 180_000;
const UNREACHABLE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

function option(name) {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

function runAudit() {
  return new Promise((done) => {
    // npm audit exits 1 when it finds anything, so its exit code says little: the JSON decides.
    // Bounded: a registry that never answers must not hold CI up.
    const args = ['audit', '--omit=dev', '--json', '--fetch-retries=1', '--fetch-timeout=60000'];
    execFile('npm', args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: AUDIT_TIMEOUT_MS }, (error, stdout, stderr) =>
      done({ stdout, stderr, timedOut: Boolean(error?.killed), spawnError: error && typeof error.code === 'string' ? error : undefined }),
    );
  });
}

function readExceptions(file) {
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  const list = parsed.exceptions;
  if (!Array.isArray(list)) throw new Error(`${file}: "exceptions" must be a list`);
  list.forEach((e, i) => {
    for (const field of ['advisory', 'package', 'reason']) {
      if (typeof e[field] !== 'string' || e[field].trim() === '') throw new Error(`${file}: exception ${i + 1} needs a non-empty "${field}"`);
    }
  });
  return list;
}

/** Why the audit endpoint could not be asked, or undefined when npm's answer is something else. */
function unreachableReason(report) {
  if (report.vulnerabilities) return undefined;
  const code = report.error?.code ?? report.code;
  if (UNREACHABLE_CODES.has(code)) return `${code} (no network to the registry)`;
  const uri = String(report.uri ?? report.message ?? '');
  if (typeof report.statusCode === 'number' && uri.includes('/-/npm/v1/security/')) return `the registry answered ${report.message ?? report.statusCode}`;
  return undefined;
}

/** The high and critical advisories of the report, one per advisory and vulnerable package. */
function blockingFindings(report) {
  const seen = new Map();
  for (const vulnerability of Object.values(report.vulnerabilities ?? {})) {
    for (const via of vulnerability.via ?? []) {
      // A string names another vulnerable package; its own entry carries the advisory.
      if (typeof via !== 'object' || !BLOCKING.has(via.severity)) continue;
      const advisory = /GHSA-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}/i.exec(via.url ?? '')?.[0] ?? String(via.source);
      seen.set(`${advisory} ${via.name}`, { advisory, package: via.name, severity: via.severity, title: via.title, url: via.url, range: via.range });
    }
  }
  return [...seen.values()];
}

function skipped(reason) {
  console.log(`npm audit: SKIPPED, the registry's audit endpoint could not be reached: ${reason}.`);
  console.log('npm audit: dependencies were NOT checked for advisories in this run (see docs/operator-guide.md, "Dependency audit").');
  return 0;
}

async function main() {
  const reportFile = option('--report');
  const exceptions = readExceptions(option('--exceptions') ?? join(ROOT, '.ci/npm-audit-exceptions.json'));
  const { stdout, stderr, timedOut, spawnError } = reportFile ? { stdout: readFileSync(reportFile, 'utf8'), stderr: '' } : await runAudit();
  if (timedOut) return skipped(`no answer within ${AUDIT_TIMEOUT_MS / 1000} s`);
  if (spawnError) throw new Error(`could not run npm audit: ${spawnError.message}`);
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    throw new Error(`npm audit printed no JSON report:\n${stdout}${stderr}`);
  }

  const unreachable = unreachableReason(report);
  if (unreachable) return skipped(unreachable);
  if (!report.vulnerabilities) throw new Error(`npm audit failed: ${report.message ?? report.error?.summary ?? stdout.slice(0, 500)}`);

  const findings = blockingFindings(report);
  const excepted = (f) => exceptions.find((e) => e.advisory.toLowerCase() === f.advisory.toLowerCase() && e.package === f.package);
  const blocking = findings.filter((f) => !excepted(f));
  const counts = report.metadata?.vulnerabilities ?? {};
  console.log(`npm audit --omit=dev: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low`);
  for (const f of findings.filter(excepted)) console.log(`  excepted: ${f.advisory} ${f.package} (${f.severity}): ${excepted(f).reason}`);
  for (const e of exceptions.filter((e) => !findings.some((f) => excepted(f) === e))) {
    console.log(`  note: exception ${e.advisory} ${e.package} matches no finding any more; remove it from .ci/npm-audit-exceptions.json`);
  }
  for (const f of blocking) console.log(`  FAIL: ${f.advisory} ${f.package} ${f.range ?? ''} (${f.severity}): ${f.title} ${f.url ?? ''}`);
  if (blocking.length > 0) {
    console.log(
      `npm audit: ${blocking.length} high or critical advisor${blocking.length === 1 ? 'y' : 'ies'} without a documented exception: upgrade, or add each to .ci/npm-audit-exceptions.json with its reason`,
    );
    return 1;
  }
  console.log('npm audit: no high or critical advisory without a documented exception');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`npm audit check: ${error.message}`);
    process.exit(2);
  },
);
