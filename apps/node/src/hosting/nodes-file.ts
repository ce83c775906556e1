import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** One node of a nodes file: its variables, exactly as the node would read them from its environment. */
export interface NodeEntry {
  /** Where it stands in the file, for messages: `nodes[2]`. */
  position: string;
  variables: Record<string, string>;
}

export interface NodesFile {
  entries: NodeEntry[];
  /** What is wrong with the file's shape (the nodes' own variables are checked later, node by node). */
  problems: string[];
}

// Variable names as an environment spells them; anything else is a mistake in the file.
const VARIABLE_NAME = /^[A-Z][A-Z0-9_]*$/;
// `${NAME}`: a value taken from the hosting process's environment, so that secrets stay out of the file.
const REFERENCE = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/**
 * Reads a nodes file (TDX_NODES_FILE; YAML, or JSON when it ends in .json):
 *
 *     defaults: { NATS_URL: ..., TRUST_ANCHOR: ... }   # optional, given to every node
 *     nodes:
 *       - { NODE_CODE: "330100", PORT: 3100, DATABASE_URL: ..., NODE_KEY_FILE: ... }
 *       - { NODE_CODE: "330106", PARENT_CODE: "330100", PORT: 3101, ... }
 *
 * Each node's variables are `defaults` overlaid with its own, with `${NAME}` replaced from `env`
 * (the process's environment, never read otherwise): the same variables the node reads when it
 * runs alone, so an entry moves to an environment file and back unchanged.
 */
export function readNodesFile(path: string, env: Record<string, string | undefined>): NodesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { entries: [], problems: [`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`] };
  }
  let document: unknown;
  try {
    document = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    // The parser's own words say where (line and column); they quote no more than the offending line's start.
    return { entries: [], problems: [`is not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${firstLine((error as Error).message)}`] };
  }
  return entriesOf(document, env);
}

/** The entries of a parsed nodes file, with every problem of its shape. */
export function entriesOf(document: unknown, env: Record<string, string | undefined>): NodesFile {
  const problems: string[] = [];
  if (!isPlainObject(document)) return { entries: [], problems: ['must be a mapping with `nodes:` (a list of nodes) and optionally `defaults:`'] };
  for (const key of Object.keys(document)) {
    if (key !== 'nodes' && key !== 'defaults') problems.push(`\`${key}\` is not a section of a nodes file (only \`defaults\` and \`nodes\`)`);
  }
  let defaults: Record<string, string> = {};
  if (document.defaults !== undefined) {
    const read = variablesOf(document.defaults, 'defaults', env);
    problems.push(...read.problems);
    defaults = read.variables;
  }
  const nodes = document.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    problems.push('`nodes` must list at least one node');
    return { entries: [], problems };
  }
  const entries: NodeEntry[] = [];
  nodes.forEach((node, index) => {
    const position = `nodes[${index}]`;
    const read = variablesOf(node, position, env);
    problems.push(...read.problems);
    entries.push({ position, variables: { ...defaults, ...read.variables } });
  });
  return { entries, problems };
}

function variablesOf(section: unknown, where: string, env: Record<string, string | undefined>): { variables: Record<string, string>; problems: string[] } {
  if (!isPlainObject(section)) return { variables: {}, problems: [`${where}: must be a mapping of variable names to values`] };
  const variables: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(section)) {
    if (!VARIABLE_NAME.test(name)) {
      problems.push(`${where}: \`${name}\` is not a variable name (upper-case letters, digits and _)`);
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      problems.push(`${where}: ${name} must be a single value (text or number)`);
      continue;
    }
    const missing: string[] = [];
    variables[name] = String(value).replace(REFERENCE, (_, reference: string) => {
      const found = env[reference];
      if (found === undefined) missing.push(reference);
      return found ?? '';
    });
    for (const reference of missing) problems.push(`${where}: ${name} refers to \${${reference}}, which the environment does not set`);
  }
  return { variables, problems };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
