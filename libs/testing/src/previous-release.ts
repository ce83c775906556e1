import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { KitError } from './errors';

const ROOT = resolve(__dirname, '../../..');

/**
 * The release before this one, which the version-skew tests run beside the current build. The tag
 * is the name; the commit pins it, so that a moved tag fails loudly instead of testing against
 * something else, and a clone without tags still finds the release.
 */
export const PREVIOUS_RELEASE = { tag: 'v0.1.0', commit: '0dad354c60265ae27e11fecb22abb7a0f9e640a1' } as const;

/** Where built releases are kept between runs; `npm ci` empties node_modules, so a CI run builds once. */
export const PREVIOUS_RELEASE_CACHE = join(ROOT, 'node_modules/.cache/tdx-previous-release');

export interface PreviousReleaseBuild {
  tag: string;
  commit: string;
  /** The release's built node, for NodeProcess's `main`. */
  main: string;
  /** Whether this call built it (false: it came from the cache). */
  built: boolean;
  /** Seconds this call spent on it (checkout, dependencies, compile; about 0 from the cache). */
  seconds: number;
  /** How its dependencies were provided: linked to this tree's (same lockfile) or installed with `npm ci`. */
  dependencies: 'linked' | 'installed';
}

/**
 * The previous release's node, built once from its commit and cached under node_modules/.cache.
 * The checkout is `git archive` (no worktree is registered in the repository); its dependencies are
 * this tree's own, linked, when both lockfiles are the same (no download, no install), and
 * installed from the npm cache otherwise; the node and its libraries are compiled with SWC.
 */
export function previousReleaseNode(log: (line: string) => void = () => undefined): PreviousReleaseBuild {
  const started = Date.now();
  const commit = releaseCommit();
  const dir = join(PREVIOUS_RELEASE_CACHE, commit);
  const main = join(dir, 'apps/node/dist/main.js');
  const marker = join(dir, '.built.json');
  if (existsSync(marker) && existsSync(main)) {
    const kept = JSON.parse(readFileSync(marker, 'utf8')) as { dependencies: PreviousReleaseBuild['dependencies'] };
    return { ...PREVIOUS_RELEASE, main, built: false, seconds: (Date.now() - started) / 1000, dependencies: kept.dependencies };
  }
  mkdirSync(PREVIOUS_RELEASE_CACHE, { recursive: true });
  // Builds of releases no longer pinned are dropped: the cache holds one.
  for (const old of readdirSync(PREVIOUS_RELEASE_CACHE)) if (old !== commit) rmSync(join(PREVIOUS_RELEASE_CACHE, old), { recursive: true, force: true });
  const work = `${dir}.partial`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  log(`building the previous release ${PREVIOUS_RELEASE.tag} (${commit.slice(0, 12)}) in ${work}`);
  run('sh', ['-c', `git archive --format=tar ${commit} | tar -x -C "${work}"`], ROOT);
  const sameLock = readFileSync(join(work, 'package-lock.json'), 'utf8') === readFileSync(join(ROOT, 'package-lock.json'), 'utf8');
  if (sameLock) linkDependencies(work);
  else run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], work);
  compile(work);
  if (!existsSync(join(work, 'apps/node/dist/main.js'))) throw new KitError(`the build of ${PREVIOUS_RELEASE.tag} made no apps/node/dist/main.js`);
  const dependencies = sameLock ? 'linked' : 'installed';
  writeFileSync(join(work, '.built.json'), JSON.stringify({ ...PREVIOUS_RELEASE, commit, dependencies, builtAt: new Date().toISOString() }));
  // Last: a build cut short is never taken for a finished one.
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  const seconds = (Date.now() - started) / 1000;
  log(`built ${PREVIOUS_RELEASE.tag} in ${seconds.toFixed(1)} s (dependencies ${dependencies})`);
  return { ...PREVIOUS_RELEASE, main, built: true, seconds, dependencies };
}

/** The pinned commit, checked against the tag when the tag is there. */
function releaseCommit(): string {
  const { tag, commit } = PREVIOUS_RELEASE;
  let tagged: string | undefined;
  try {
    tagged = execFileSync('git', ['rev-parse', '--verify', '--quiet', `${tag}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    tagged = undefined; // no such tag in this clone: the pinned commit stands for it
  }
  if (tagged !== undefined && tagged !== commit) throw new KitError(`tag ${tag} points at ${tagged}, not at the pinned release commit ${commit}`);
  try {
    execFileSync('git', ['cat-file', '-e', `${commit}^{commit}`], { cwd: ROOT });
  } catch {
    throw new KitError(`the previous release's commit ${commit} (${tag}) is not in this clone: a shallow clone? fetch it with git fetch --unshallow`);
  }
  return commit;
}

/**
 * node_modules of the release as links into this tree's (the lockfiles are equal, so the packages
 * are too), except the workspace links (@tdx/*), which must lead to the release's own libraries.
 */
function linkDependencies(work: string): void {
  const ours = join(ROOT, 'node_modules');
  const theirs = join(work, 'node_modules');
  mkdirSync(theirs);
  for (const name of readdirSync(ours)) {
    if (name === '.cache' || name === '@tdx') continue;
    symlinkSync(join(ours, name), join(theirs, name));
  }
  mkdirSync(join(theirs, '@tdx'));
  for (const name of readdirSync(join(ours, '@tdx'))) {
    const target = readlinkSync(join(ours, '@tdx', name));
    // npm makes workspace links relative (../../libs/contracts): the same text leads into the release's tree.
    if (target.startsWith('/')) throw new KitError(`node_modules/@tdx/${name} is an absolute link; cannot re-point it into the release`);
    symlinkSync(target, join(theirs, '@tdx', name));
  }
}

/** The projects the node runs on: the app and every library (each `src/` compiled into its `dist/`, as its package.json expects). */
function projectsOf(work: string): string[] {
  return ['apps/node', ...readdirSync(join(work, 'libs')).map((name) => `libs/${name}`)].filter((p) => existsSync(join(work, p, 'src')));
}

/**
 * Compiles the release's sources with SWC under the release's own .swcrc (the transform its tests
 * ran under, decorator metadata included): no type check, which the release passed when it was
 * tagged, and which made up nearly all of a `tsc -b` build's 30 to 60 s here. JSON files are copied.
 */
function compile(work: string): void {
  // The release's own compiler: from its node_modules (this tree's, when linked).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const swc = require(require.resolve('@swc/core', { paths: [work] })) as typeof import('@swc/core');
  const options = { ...JSON.parse(readFileSync(join(work, '.swcrc'), 'utf8')), sourceMaps: false, swcrc: false };
  delete options.$schema;
  for (const project of projectsOf(work)) {
    const src = join(work, project, 'src');
    const dist = join(work, project, 'dist');
    for (const file of walk(src)) {
      const out = join(dist, relative(src, file));
      mkdirSync(dirname(out), { recursive: true });
      if (file.endsWith('.json')) copyFileSync(file, out);
      else if (file.endsWith('.ts') && !file.endsWith('.spec.ts') && !file.endsWith('.d.ts')) {
        writeFileSync(out.replace(/\.ts$/, '.js'), swc.transformFileSync(file, options).code);
      }
    }
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function run(command: string, args: string[], cwd: string): void {
  try {
    execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer; message: string };
    const output = `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new KitError(`building the previous release: ${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${output}`);
  }
}
