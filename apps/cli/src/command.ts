import { isUuid } from '@tdx/contracts';
import type { Context } from './context';
import type { CredentialStore } from './credentials';

/**
 * The shape of one `tdx` command: its words, arguments, options and handler. Each command group
 * declares its own in apps/cli/src/commands/<group>.ts; commands/index.ts lists the groups, and
 * args.ts (parsing, help) and cli.ts (running, errors, --json) apply the conventions to all alike.
 */
export interface OptionSpec {
  type: 'string' | 'boolean';
  choices?: readonly string[];
  required?: boolean;
  help: string;
  value?: string;
  /** Checked at parse time, before any request: the fault's message, or undefined when the value is fine. */
  check?: (value: string) => string | undefined;
}

export interface ArgumentSpec {
  name: string;
  help: string;
  check?: (value: string) => string | undefined;
}

export interface Invocation {
  command: string;
  args: Record<string, string>;
  /** By the option's name as declared (`share-type`, not `shareType`). */
  options: Record<string, string | boolean | undefined>;
  nodeUrl: string;
  json: boolean;
  /** From --token or TDX_TOKEN: sent as it is instead of the stored session. */
  token?: { token: string; from: string };
}

/** What a handler gets besides the context: the parsed line and the few things only some commands need. */
export interface Run {
  inv: Invocation;
  /** String options by name (boolean ones read from inv.options). */
  o: Record<string, string | undefined>;
  store: CredentialStore;
  readSecret: (prompt: string) => Promise<string>;
  /** Several secrets in turn (a current and a new password): each at a prompt, or a line of standard input each. */
  readSecrets: (prompts: string[]) => Promise<string[]>;
}

export interface CommandSpec {
  /** One or two words: `node`, `catalog register`. */
  name: string;
  args: ArgumentSpec[];
  options: Record<string, OptionSpec>;
  summary: string;
  run: (ctx: Context, run: Run) => Promise<void>;
}

// Checks shared by several groups' options.
/** The catalog's resource code pattern (see the node's create-entry DTO). */
const RESOURCE_CODE = /^[A-Za-z0-9._/-]{1,64}$/;

/** The one UUID check of the contracts, as the node applies it. */
export { isUuid };

export const check = {
  uuid: (what: string) => (value: string) => (isUuid(value) ? undefined : `${what} must be a UUID (got "${value}")`),
  /** An entry by UUID or by resource code (resolved through the catalog before any other work). */
  entry: (value: string) => (isUuid(value) || RESOURCE_CODE.test(value) ? undefined : `"${value}" is neither an entry's UUID nor a resource code`),
  division: (what: string) => (value: string) => (/^\d{6}$/.test(value) ? undefined : `${what} must be a six-digit division code (got "${value}")`),
  limit: (max: number) => (value: string) => {
    const n = Number(value);
    return /^\d+$/.test(value) && n >= 1 && n <= max ? undefined : `--limit must be a whole number from 1 to ${max} (got "${value}")`;
  },
  nonBlank: (what: string) => (value: string) => (/\S/.test(value) ? undefined : `${what} must not be blank`),
  positiveInteger: (what: string) => (value: string) => (/^[1-9]\d{0,8}$/.test(value) ? undefined : `${what} must be a whole number from 1 (got "${value}")`),
};

/** `--limit` and `--cursor` of a command that prints one page of a keyset-paged list. */
export function pageOptions(what: string, max = 500, defaultLimit = 50): Record<string, OptionSpec> {
  return {
    limit: { type: 'string', value: 'N', help: `${what} per page, 1 to ${max} (default ${defaultLimit})`, check: check.limit(max) },
    cursor: { type: 'string', value: 'C', help: 'the next page, as printed after the previous one' },
  };
}

/** The query string of the string options named (empty ones left out), with a leading `?` when any. */
export function queryOf(o: Record<string, string | undefined>, names: Record<string, string>): string {
  const query = new URLSearchParams();
  for (const [option, param] of Object.entries(names)) if (o[option] !== undefined && o[option] !== '') query.set(param, o[option] as string);
  return query.size ? `?${query}` : '';
}
