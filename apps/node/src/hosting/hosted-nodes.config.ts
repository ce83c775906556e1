import { resolve } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { levelOf } from '@tdx/divisions';
import { ConfigError, EnvironmentVariables, loadNodeConfig } from '../config/environment';
import type { NodeConfig } from '../config/node-config';
import { NodeEntry, readNodesFile } from './nodes-file';

/** A node of a nodes file, validated as if it ran alone. */
export interface HostedNodeConfig {
  position: string;
  config: NodeConfig;
}

/**
 * Reads and validates a nodes file (TDX_NODES_FILE): each node by the same rules as a node
 * configured by its environment, then the file as a whole. Throws one ConfigError naming every
 * problem of every node, each prefixed with the node it concerns; never quotes a value.
 */
export function loadHostedNodes(file: string, env: Record<string, string | undefined>): HostedNodeConfig[] {
  const { hosted, problems } = checkHostedNodes(file, env);
  if (problems.length > 0) throw new ConfigError(problems);
  return hosted;
}

/** As loadHostedNodes, but returns the problems beside the nodes that are valid by themselves (for further checks of those). */
export function checkHostedNodes(file: string, env: Record<string, string | undefined>): { hosted: HostedNodeConfig[]; problems: string[] } {
  const { entries, problems } = readNodesFile(file, env);
  const all = problems.map((problem) => `${file}: ${problem}`);
  const hosted: HostedNodeConfig[] = [];
  const known = knownVariables();
  for (const entry of entries) {
    const label = labelOf(entry);
    for (const name of Object.keys(entry.variables)) {
      if (!known.has(name)) all.push(`${label}: ${name} is not a variable the node reads`);
    }
    try {
      hosted.push({ position: entry.position, config: loadNodeConfig(entry.variables) });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      all.push(...error.problems.map((problem) => `${label}: ${problem}`));
    }
  }
  all.push(...acrossNodesProblems(hosted));
  return { hosted, problems: all };
}

/** What no single node can see: codes, ports, databases, keys and NATS users given twice, and counties hosted away from their city. */
export function acrossNodesProblems(hosted: HostedNodeConfig[]): string[] {
  const problems: string[] = [];
  const twice = (what: string, valueOf: (config: NodeConfig) => string | null, shown: (value: string) => string) => {
    const holders = new Map<string, HostedNodeConfig[]>();
    for (const node of hosted) {
      const value = valueOf(node.config);
      if (value !== null) holders.set(value, [...(holders.get(value) ?? []), node]);
    }
    for (const [value, nodes] of holders) {
      if (nodes.length > 1) problems.push(`${what}${shown(value)} is given to ${nodes.length} nodes (${nodes.map((n) => labelOfConfig(n)).join(', ')})`);
    }
  };
  twice(
    'NODE_CODE ',
    (c) => c.code,
    (v) => v,
  );
  // Each node listens on a port of its own (docs/operator-guide.md, "Hosted nodes": why not one port).
  twice(
    'PORT ',
    (c) => String(c.port),
    (v) => v,
  );
  // Two nodes in one database would read each other's outbox, accounts and catalog as their own.
  twice(
    'DATABASE_URL',
    (c) => databaseIdentity(c.databaseUrl),
    () => ' (one database)',
  );
  // One key file is one identity: a second node signing with it would impersonate the first.
  twice(
    'NODE_KEY_FILE',
    (c) => resolve(c.keyFile),
    () => ' (one key)',
  );
  // One NATS user is one sender: the nats-server lets it publish only as the node it names.
  twice(
    'NATS_NKEY_SEED_FILE',
    (c) => (c.natsNkeySeedFile === null ? null : resolve(c.natsNkeySeedFile)),
    () => ' (one NATS user)',
  );
  problems.push(...placementProblems(hosted.map((node) => node.config)));
  return problems;
}

/**
 * Article 9: a county builds on its own city's platform. The nodes of one file form one subtree:
 * one node at its top (the host, whose parent runs elsewhere) and every other node under a node of
 * the file (that each sits directly under its parent's division, loadNodeConfig checked already).
 */
function placementProblems(configs: NodeConfig[]): string[] {
  const problems: string[] = [];
  const codes = new Set(configs.map((c) => c.code));
  const tops = configs.filter((c) => c.parentCode === null || !codes.has(c.parentCode));
  if (tops.length > 1) {
    const host = [...tops].sort((a, b) => depth(a.code) - depth(b.code))[0];
    for (const config of tops.filter((c) => c !== host)) {
      problems.push(
        `${config.code}: sits under ${config.parentCode ?? 'no parent'}, which this file does not host; the nodes of one file are ${host.code} and the ${levelOf(host.code) === 'province' ? 'cities' : 'counties'} that build on it (Article 9)`,
      );
    }
  }
  return problems;
}

function depth(code: string): number {
  return { province: 0, city: 1, county: 2 }[levelOf(code)];
}

/** Host, port and database name: the same database however its URL is spelt (user, options). */
function databaseIdentity(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname.toLowerCase()}:${parsed.port || '5432'}/${decodeURIComponent(parsed.pathname.slice(1))}`;
  } catch {
    return url;
  }
}

function labelOf(entry: NodeEntry): string {
  const code = entry.variables.NODE_CODE;
  return code ? `${entry.position} (${code})` : entry.position;
}

function labelOfConfig(node: HostedNodeConfig): string {
  return `${node.position} ${node.config.code}`;
}

let known: Set<string> | undefined;

/**
 * Every variable loadNodeConfig reads: the validated ones (from EnvironmentVariables' metadata)
 * and the ones read by name (hardening, NATS TLS), found by watching a run on an empty
 * environment. So a typo in a file is named, and a variable added later needs no list here.
 */
export function knownVariables(): Set<string> {
  if (known) return known;
  const names = new Set<string>(
    getMetadataStorage()
      .getTargetValidationMetadatas(EnvironmentVariables, '', true, false)
      .map((m) => m.propertyName),
  );
  const watcher = new Proxy({} as Record<string, string | undefined>, {
    get: (_, name) => {
      if (typeof name === 'string') names.add(name);
      return undefined;
    },
  });
  try {
    loadNodeConfig(watcher);
  } catch {
    // An empty environment is refused, as expected; only the names it asked for matter.
  }
  known = new Set([...names].filter((name) => /^[A-Z][A-Z0-9_]*$/.test(name)));
  return known;
}
