// Test support for the CLI's integration tests: real nodes (the built service, each its own process,
// database and NATS namespace, started by the test kit) and the built `tdx` run as a child process.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeProcess, NodeSpec, SHARED_NATS_URL, TEST_ADMIN_PASSWORD, waitForTrustList } from '@tdx/testing';

export const ROOT = resolve(__dirname, '../../../..');
export const CLI_MAIN = join(ROOT, 'apps/cli/dist/main.js');
/** Where the tdx runs of one test file keep their sessions (XDG_CONFIG_HOME), away from the user's own. */
export const CLI_CONFIG_HOME = mkdtempSync(join(tmpdir(), 'tdx-cli-config-'));

/** A test node on the shared NATS server in `natsNamespace`, healthy (its database and NATS up) and signed in to by api(). */
export async function startNode(spec: Omit<NodeSpec, 'natsUrl'> & { natsUrl?: string }): Promise<NodeProcess> {
  const node = await NodeProcess.start({ natsUrl: SHARED_NATS_URL, ...spec });
  await node.waitHealthy();
  return node;
}

/**
 * Waits until `node` has joined its parent and holds a valid trust list naming it: before that it
 * trusts no other node, and a return request would get 503.
 */
export async function waitJoined(node: NodeProcess, timeoutMs = 60_000): Promise<void> {
  await node.waitJoined(timeoutMs);
  await waitForTrustList(node.url, [node.code], timeoutMs);
}

export interface TdxResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI with the given arguments; stdout is a pipe, so progress comes as plain lines.
 * A run that outlives `timeoutMs` is killed and fails the test with what it printed.
 */
export async function tdx(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000, input?: string): Promise<TdxResult> {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    env: { ...process.env, TDX_NODE_URL: '', TDX_TOKEN: '', XDG_CONFIG_HOME: CLI_CONFIG_HOME, ...env },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (input !== undefined) child.stdin?.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c) => (stdout += c));
  child.stderr?.on('data', (c) => (stderr += c));
  let timedOut = false;
  const timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), timeoutMs);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  if (timedOut) throw new Error(`tdx ${args.join(' ')} did not finish in ${timeoutMs / 1000} s; it printed:\n${stdout}\n${stderr}`);
  return { code, stdout, stderr };
}

/** Signs `tdx` in to a test node as its admin, the way an operator does (password on standard input). */
export async function tdxLogin(url: string): Promise<void> {
  const result = await tdx(['login', '--username', 'admin', '--node', url], {}, 60_000, `${TEST_ADMIN_PASSWORD}\n`);
  if (result.code !== 0) throw new Error(`tdx login at ${url} failed (${result.code}): ${result.stderr}`);
}
