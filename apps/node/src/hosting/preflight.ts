import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Client } from 'pg';
import { signingKeyFromPem } from '@tdx/contracts';
import type { HostedNodeConfig } from './hosted-nodes.config';

// Long enough for a database across a data centre, short enough that a wrong host fails the start promptly.
const CONNECT_TIMEOUT_MS = 5000;

/**
 * What can only be seen by trying, before any node starts: that each node's database answers,
 * its port is free and its key file (if it exists) holds a key. All nodes are checked at once
 * and every problem is returned, each prefixed with its node; values are never quoted.
 */
export async function preflightProblems(hosted: HostedNodeConfig[]): Promise<string[]> {
  // A port given twice is named as such already; trying it twice at once would only collide with itself.
  const tried = new Set<number>();
  const checks = hosted.map(async (node) => {
    const label = `${node.position} (${node.config.code})`;
    const firstWithPort = !tried.has(node.config.port);
    tried.add(node.config.port);
    const found = await Promise.all([databaseProblem(node.config.databaseUrl), firstWithPort ? portProblem(node.config.port) : undefined]);
    const key = keyFileProblem(node.config.keyFile);
    return [...found, key].filter((problem): problem is string => problem !== undefined).map((problem) => `${label}: ${problem}`);
  });
  return (await Promise.all(checks)).flat();
}

/** The database answers a query (it exists, the server is up, the credentials are accepted). */
async function databaseProblem(url: string): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A connection refused later still emits 'error' on the client; without a listener that would be an uncaught error.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `DATABASE_URL: ${databaseFailure(error as Error & { code?: string }, url)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function databaseFailure(error: Error & { code?: string }, url: string): string {
  const { host, name } = whereIs(url);
  switch (error.code) {
    case '3D000':
      return `database ${name} does not exist on ${host} (create it first: createdb ${name})`;
    case '28P01':
    case '28000':
      return `${host} refused the credentials for database ${name}`;
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
      return `cannot connect to ${host} (${error.code})`;
    default:
      // pg's own words name the cause without the password (it never echoes the URL).
      return `cannot use database ${name} on ${host} (${error.code ?? error.message})`;
  }
}

function whereIs(url: string): { host: string; name: string } {
  try {
    const parsed = new URL(url);
    return { host: `${parsed.hostname}:${parsed.port || '5432'}`, name: decodeURIComponent(parsed.pathname.slice(1)) };
  } catch {
    return { host: 'its server', name: '(unnamed)' };
  }
}

/** The port can be bound on every interface, as the node will bind it. */
function portProblem(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(`PORT ${port} cannot be used (${error.code ?? error.message}: another process listens on it?)`));
    server.listen(port, () => server.close(() => resolve(undefined)));
  });
}

/** A key file that exists must hold a key: a node must never start with a new identity because its key did not read. */
function keyFileProblem(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    signingKeyFromPem(readFileSync(file, 'utf8'));
    return undefined;
  } catch (error) {
    return `NODE_KEY_FILE: cannot be read or holds no Ed25519 key (${(error as NodeJS.ErrnoException).code ?? 'not a key'})`;
  }
}
