import { parseArgs } from 'node:util';
import { DEFAULT_NODE_URL } from './client';
import { UsageError } from './errors';

type OptionSpec = { type: 'string' | 'boolean'; short?: string; choices?: readonly string[]; required?: boolean; help: string; value?: string };

interface CommandSpec {
  name: string;
  args: { name: string; help: string }[];
  options: Record<string, OptionSpec>;
  summary: string;
}

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  node: { type: 'string', value: 'URL', help: `the node's base URL (default: $TDX_NODE_URL, else ${DEFAULT_NODE_URL})` },
  token: { type: 'string', value: 'TOKEN', help: 'an access token to send instead of the tdx login session (default: $TDX_TOKEN)' },
  json: { type: 'boolean', help: 'machine output: one JSON document on stdout, no progress display' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};

export const COMMANDS: CommandSpec[] = [
  {
    name: 'login',
    args: [],
    options: { username: { type: 'string', required: true, value: 'NAME', help: 'the account at this node' } },
    summary: 'sign in to the node (password at the prompt, or the first line of standard input) and keep the session',
  },
  { name: 'logout', args: [], options: {}, summary: 'end the session at the node and forget it here' },
  { name: 'whoami', args: [], options: {}, summary: 'the account and roles this command runs as at the node' },
  { name: 'node', args: [], options: {}, summary: 'show the node this command talks to (code, name, level, parent, children)' },
  {
    name: 'data load',
    args: [{ name: 'FILE', help: 'a CSV (with a header line) or NDJSON file' }],
    options: {
      entry: { type: 'string', required: true, value: 'ID', help: 'the data entry whose content this is' },
      format: { type: 'string', choices: ['csv', 'ndjson'], value: 'csv|ndjson', help: 'default: from the file name (.csv; .ndjson, .jsonl; each also .gz, sent compressed)' },
    },
    summary: "stream a file into a data entry's content, with a progress bar",
  },
  {
    name: 'return request',
    args: [],
    options: {
      entry: { type: 'string', required: true, value: 'ID', help: 'the data entry held by an ancestor' },
      holder: { type: 'string', required: true, value: 'CODE', help: 'the division code of the node holding it' },
      scope: { type: 'string', choices: ['self', 'subtree'], value: 'self|subtree', help: 'this node only, or (a city) its whole subtree; default self' },
      purpose: { type: 'string', required: true, value: 'TEXT', help: 'what the data is for' },
    },
    summary: 'ask an ancestor to return a data resource to this node (Article 9)',
  },
  {
    name: 'return approve',
    args: [{ name: 'ID', help: 'the request' }],
    options: { note: { type: 'string', value: 'TEXT', help: 'a note kept in the history' } },
    summary: 'approve an incoming request (at the holding node)',
  },
  {
    name: 'return reject',
    args: [{ name: 'ID', help: 'the request' }],
    options: { reason: { type: 'string', required: true, value: 'TEXT', help: 'why, told to the requester' } },
    summary: 'reject an incoming request (at the holding node)',
  },
  {
    name: 'return list',
    args: [],
    options: {
      direction: { type: 'string', choices: ['outgoing', 'incoming'], value: 'outgoing|incoming', help: 'requests this node made, or received' },
      state: { type: 'string', choices: ['pending', 'granted', 'rejected', 'refused'], value: 'STATE', help: 'pending, granted, rejected or refused' },
    },
    summary: 'list return requests',
  },
  { name: 'return show', args: [{ name: 'ID', help: 'the request' }], options: {}, summary: 'one request with its history' },
  {
    name: 'return sync',
    args: [{ name: 'REQUEST_ID', help: 'an approved request' }],
    options: { watch: { type: 'boolean', help: 'follow the job it starts, as `tdx return watch`' } },
    summary: 'start a transfer (or an incremental re-sync) now',
  },
  {
    name: 'return rows',
    args: [{ name: 'REQUEST_ID', help: 'a request this node made' }],
    options: {
      region: { type: 'string', value: 'CODE', help: 'only rows inside this division (330106; 330100 for all of Hangzhou)' },
      columns: { type: 'string', value: 'A,B', help: 'only these data items' },
      limit: { type: 'string', value: 'N', help: 'rows per page, 1 to 5000 (default 100)' },
      cursor: { type: 'string', value: 'C', help: 'the next page, as printed after the previous one' },
    },
    summary: 'the rows returned to this node for a request (at the receiver)',
  },
  { name: 'return jobs', args: [{ name: 'REQUEST_ID', help: 'the request' }], options: {}, summary: "a request's transfer jobs, newest first" },
  {
    name: 'return watch',
    args: [{ name: 'JOB', help: 'the job id' }],
    options: { interval: { type: 'string', value: 'SECONDS', help: 'polling period (default 1)' } },
    summary: 'follow a transfer job until it ends: exit 0 when done, 1 when failed',
  },
  {
    name: 'audit verify',
    args: [],
    options: {
      file: { type: 'string', value: 'FILE', help: 'check an export (tdx audit export) offline instead of asking the node' },
      anchor: { type: 'string', value: 'SEQ:HASH', help: 'a head kept earlier (printed by tdx audit export, logged by the node): the log must still hold it' },
    },
    summary: 'check the audit log\'s hash chain: exit 0 intact, 5 tampered (naming the first bad record)',
  },
  {
    name: 'audit export',
    args: [],
    options: {
      from: { type: 'string', value: 'TIME', help: 'records written at or after this ISO 8601 time (2026-11-01T00:00:00Z)' },
      to: { type: 'string', value: 'TIME', help: 'records written before this time' },
    },
    summary: 'write the audit log (or a time range of it) as NDJSON to standard output, for archiving',
  },
  {
    name: 'audit prune',
    args: [],
    options: {
      file: { type: 'string', value: 'FILE', help: 'the export (tdx audit export) of the oldest records, kept as their archive; the log is pruned through its last record' },
    },
    summary: 'delete the oldest, exported records of the audit log behind a kept anchor (the node refuses records younger than AUDIT_RETENTION_DAYS)',
  },
  {
    name: 'audit list',
    args: [],
    options: {
      from: { type: 'string', value: 'TIME', help: 'at or after this ISO 8601 time' },
      to: { type: 'string', value: 'TIME', help: 'before this time' },
      actor: { type: 'string', value: 'ACTOR', help: 'user:NAME, anonymous or node:CODE' },
      action: { type: 'string', value: 'ACTION', help: 'exact, or a prefix ending in * (replication.*)' },
      target: { type: 'string', value: 'ID', help: 'the id or code acted on' },
      outcome: { type: 'string', value: 'OUTCOME', help: 'an HTTP status (403) or an exchange outcome (rejected)' },
      order: { type: 'string', choices: ['asc', 'desc'], value: 'asc|desc', help: 'oldest (default) or newest first' },
      limit: { type: 'string', value: 'N', help: 'records per page, 1 to 500 (default 50)' },
      cursor: { type: 'string', value: 'C', help: 'the next page, as printed after the previous one' },
    },
    summary: 'a page of audit records, filtered',
  },
];

export interface Invocation {
  command: string;
  args: Record<string, string>;
  options: Record<string, string | boolean | undefined>;
  nodeUrl: string;
  json: boolean;
  /** From --token or TDX_TOKEN: sent as it is instead of the stored session. */
  token?: { token: string; from: string };
}

function tokenOf(option: string | undefined, env: string | undefined): { token?: { token: string; from: string } } {
  if (option) return { token: { token: option, from: '--token' } };
  return env ? { token: { token: env, from: 'TDX_TOKEN' } } : {};
}

export type Parsed = { kind: 'run'; invocation: Invocation } | { kind: 'help'; text: string };

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` ${o.value}` : ''}`;
    return `  ${flag.padEnd(28)} ${o.help}${o.required ? ' (required)' : ''}`;
  });
}

export function commandUsage(spec: CommandSpec): string {
  const required = Object.entries(spec.options).filter(([, o]) => o.required).map(([n, o]) => `--${n} ${o.value ?? ''}`.trim());
  const optional = Object.keys(spec.options).length > required.length ? ' [options]' : '';
  return [
    `usage: tdx ${spec.name}${spec.args.map((a) => ` ${a.name}`).join('')}${required.map((r) => ` ${r}`).join('')}${optional}`,
    '',
    spec.summary,
    ...(spec.args.length ? ['', ...spec.args.map((a) => `  ${a.name.padEnd(28)} ${a.help}`)] : []),
    '',
    'options:',
    ...optionLines(spec.options),
    ...optionLines(GLOBAL_OPTIONS),
  ].join('\n');
}

export function mainUsage(): string {
  return [
    'usage: tdx <command> [arguments] [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(16)} ${c.summary}`),
    '',
    'global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'exit codes: 0 ok; 1 refused by the node (4xx) or the operation failed; 2 usage error; 3 node unreachable or 5xx; 4 not signed in (run tdx login); 5 audit log tampered (tdx audit verify)',
    'run `tdx <command> --help` for a command\'s options',
  ].join('\n');
}

function toParseArgsOptions(options: Record<string, OptionSpec>) {
  return Object.fromEntries(Object.entries(options).map(([n, o]) => [n, { type: o.type, ...(o.short ? { short: o.short } : {}) }]));
}

/** Parses argv (without node and script) into a command to run, or help to print. Throws UsageError. */
export function parseCommandLine(argv: string[], env: Record<string, string | undefined> = process.env): Parsed {
  // First pass, loose, knowing every option's type so that option values are not taken for the command words.
  const allOptions = Object.assign({}, GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options)) as Record<string, OptionSpec>;
  const loose = parseArgs({ args: argv, options: toParseArgsOptions(allOptions), allowPositionals: true, strict: false });
  const words = loose.positionals;
  const wantsHelp = loose.values.help === true || words[0] === 'help';
  const commandWords = words[0] === 'help' ? words.slice(1) : words;

  const spec =
    COMMANDS.find((c) => c.name.split(' ').every((w, i) => commandWords[i] === w) && c.name.split(' ').length <= commandWords.length) ?? undefined;
  if (!spec) {
    if (words.length === 0 && !wantsHelp) throw new UsageError('no command given', mainUsage());
    if (wantsHelp) {
      const group = COMMANDS.filter((c) => c.name.startsWith(`${commandWords[0]} `));
      return { kind: 'help', text: group.length ? group.map(commandUsage).join('\n\n') : mainUsage() };
    }
    const group = COMMANDS.filter((c) => c.name.startsWith(`${words[0]} `));
    if (group.length) {
      const sub = words[1] === undefined ? 'a subcommand is missing' : `unknown subcommand "${words[1]}"`;
      throw new UsageError(`${sub}: tdx ${words[0]} ${group.map((c) => c.name.split(' ')[1]).join('|')}`, mainUsage());
    }
    throw new UsageError(`unknown command "${words[0]}"`, mainUsage());
  }
  if (wantsHelp) return { kind: 'help', text: commandUsage(spec) };

  const usage = commandUsage(spec);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: toParseArgsOptions({ ...GLOBAL_OPTIONS, ...spec.options }), allowPositionals: true, strict: true });
  } catch (error) {
    // Node's messages name the option ("Unknown option '--x'", "Option '--entry <value>' argument missing").
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), usage);
  }
  const positionals = parsed.positionals.slice(spec.name.split(' ').length);
  if (positionals.length < spec.args.length) throw new UsageError(`missing ${spec.args[positionals.length].name}`, usage);
  if (positionals.length > spec.args.length) throw new UsageError(`unexpected argument "${positionals[spec.args.length]}"`, usage);

  const options: Record<string, string | boolean | undefined> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const value = parsed.values[name] as string | boolean | undefined;
    if (o.required && (value === undefined || value === '')) throw new UsageError(`--${name} is required`, usage);
    if (typeof value === 'string' && o.choices && !o.choices.includes(value)) {
      throw new UsageError(`--${name} must be one of ${o.choices.join(', ')} (got "${value}")`, usage);
    }
    options[name] = value;
  }

  const nodeUrl = (parsed.values.node as string | undefined) || env.TDX_NODE_URL || DEFAULT_NODE_URL;
  try {
    const url = new URL(nodeUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new UsageError(`the node URL "${nodeUrl}" is not an http(s) URL (from ${parsed.values.node ? '--node' : 'TDX_NODE_URL'})`);
  }

  return {
    kind: 'run',
    invocation: {
      command: spec.name,
      args: Object.fromEntries(spec.args.map((a, i) => [a.name, positionals[i]])),
      options,
      nodeUrl,
      json: parsed.values.json === true,
      ...tokenOf(parsed.values.token as string | undefined, env.TDX_TOKEN),
    },
  };
}
