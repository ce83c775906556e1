import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Client } from 'pg';
import { keyFingerprint, signingKeyFromPem } from '@tdx/contracts';
import type { NodeConfig } from '../config/node-config';
import { DATABASE_POOL_SIZE } from '../config/pool-size';
import type { HostedNodeConfig } from './hosted-nodes.config';

// Long enough for a database across a data centre, short enough that a wrong host fails the start promptly.
const CONNECT_TIMEOUT_MS = 5000;

/**
 * What can only be seen by trying, before any node starts: that each node's database answers,
 * its port is free and its key file (if it exists) holds a key. All nodes are checked at once
 * and every problem is returned, each prefixed with its node; values are never quoted. Warnings
 * name what will not stop a start but may hurt later (a PostgreSQL server with fewer connections
 * than the pools of the nodes on it).
 */
export async function preflight(hosted: HostedNodeConfig[]): Promise<{ problems: string[]; warnings: string[] }> {
  // A port given twice is named as such already; trying it twice at once would only collide with itself.
  const tried = new Set<number>();
  const checks = hosted.map(async (node) => {
    const label = `${node.position} (${node.config.code})`;
    const firstWithPort = !tried.has(node.config.port);
    tried.add(node.config.port);
    const [database, port] = await Promise.all([tryDatabase(node.config.databaseUrl), firstWithPort ? portProblem(node.config.port) : undefined]);
    const key = keyFileProblem(node.config);
    const problems = [database.problem, port, key].filter((problem): problem is string => problem !== undefined).map((problem) => `${label}: ${problem}`);
    return { problems, server: whereIs(node.config.databaseUrl).host, usable: database.usableConnections };
  });
  const results = await Promise.all(checks);
  return { problems: results.flatMap((r) => r.problems), warnings: capacityWarnings(results) };
}

/** Each node's pool may hold DATABASE_POOL_SIZE connections at once; a server with fewer for all of them refuses some under load ("too many clients"). */
export function capacityWarnings(results: { server: string; usable?: number }[]): string[] {
  const servers = new Map<string, { nodes: number; usable: number }>();
  for (const { server, usable } of results) {
    if (usable === undefined) continue;
    servers.set(server, { nodes: (servers.get(server)?.nodes ?? 0) + 1, usable });
  }
  return [...servers]
    .filter(([, { nodes, usable }]) => nodes * DATABASE_POOL_SIZE > usable)
    .map(
      ([server, { nodes, usable }]) =>
        `PostgreSQL at ${server} accepts ${usable} connections (max_connections less the reserved), and the ${nodes} nodes on it may open ${nodes * DATABASE_POOL_SIZE} (${DATABASE_POOL_SIZE} each) besides everything else: raise max_connections`,
    );
}

/** The database answers a query (it exists, the server is up, the credentials are accepted); and how many connections its server takes. */
async function tryDatabase(url: string): Promise<{ problem?: string; usableConnections?: number }> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A connection refused later still emits 'error' on the client; without a listener that would be an uncaught error.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ usable: number }>(
      "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int AS usable",
    );
    return { usableConnections: rows[0].usable };
  } catch (error) {
    return { problem: `DATABASE_URL: ${databaseFailure(error as Error & { code?: string }, url)}` };
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
    server.once('error', (error: NodeJS.ErrnoException) =>
      resolve(`PORT ${port} cannot be used (${error.code ?? error.message}: another process listens on it?)`),
    );
    server.listen(port, () => server.close(() => resolve(undefined)));
  });
}

/**
 * A key file that exists must hold a key (a node must never start with a new identity because its
 * key did not read), and a province's must be the trust anchor when one is set (as createNodeApp
 * checks, but before anything starts).
 */
function keyFileProblem(config: NodeConfig): string | undefined {
  if (!existsSync(config.keyFile)) return undefined;
  let publicKey: string;
  try {
    publicKey = signingKeyFromPem(readFileSync(config.keyFile, 'utf8')).publicKey;
  } catch (error) {
    return `NODE_KEY_FILE: cannot be read or holds no Ed25519 key (${(error as NodeJS.ErrnoException).code ?? 'not a key'})`;
  }
  const anchor = config.identity.trustAnchor;
  if (config.level === 'province' && anchor && anchor !== publicKey) {
    return `TRUST_ANCHOR: is not the key of this province (NODE_KEY_FILE holds key ${keyFingerprint(publicKey)}, the anchor is ${keyFingerprint(anchor)})`;
  }
  return undefined;
}
