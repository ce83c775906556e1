import { RETURN_STATES } from '@tdx/contracts';
import { Command, Option } from 'commander';
import { DEFAULT_NODE_URL } from './client';
import { UsageError } from './errors';

type OptionSpec = { type: 'string' | 'boolean'; choices?: readonly string[]; required?: boolean; help: string; value?: string };

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
};

/** Every command of `tdx`, declared once: the commander program below is built from it. */
const COMMANDS: CommandSpec[] = [
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
      format: {
        type: 'string',
        choices: ['csv', 'ndjson'],
        value: 'csv|ndjson',
        help: 'default: from the file name (.csv; .ndjson, .jsonl; each also .gz, sent compressed)',
      },
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
      state: {
        type: 'string',
        choices: [...RETURN_STATES],
        value: 'STATE',
        help: 'pending, granted, rejected, refused, withdrawn, revoked or ended',
      },
    },
    summary: 'list return requests',
  },
  { name: 'return show', args: [{ name: 'ID', help: 'the request' }], options: {}, summary: 'one request with its history' },
  {
    name: 'return withdraw',
    args: [{ name: 'ID', help: 'a pending or granted request this node made' }],
    options: { reason: { type: 'string', value: 'TEXT', help: 'why, kept in the history at both ends' } },
    summary: 'withdraw a request (at the requester): transfers stop, the rows already returned are kept',
  },
  {
    name: 'return revoke',
    args: [{ name: 'ID', help: 'a granted incoming request' }],
    options: { reason: { type: 'string', required: true, value: 'TEXT', help: 'why, told to the requester' } },
    summary: "revoke a grant (at the holding node): the receiver's next pull is refused and it removes the rows",
  },
  {
    name: 'return subtree',
    args: [],
    options: { cursor: { type: 'string', value: 'C', help: 'the next page, as printed after the previous one' } },
    summary: "at a city: its counties' return requests to the province, read-only",
  },
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
    summary: "check the audit log's hash chain: exit 0 intact, 5 tampered (naming the first bad record)",
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
      file: {
        type: 'string',
        value: 'FILE',
        help: 'the export (tdx audit export) of the oldest records, kept as their archive; the log is pruned through its last record',
      },
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

const EXIT_CODES_HELP = [
  'exit codes: 0 ok; 1 refused by the node (4xx) or the operation failed; 2 usage error; 3 node unreachable or 5xx; 4 not signed in (run tdx login); 5 audit log tampered (tdx audit verify)',
  "run `tdx <command> --help` for a command's options",
].join('\n');

/** Thrown out of commander once it has written a help text (it would otherwise exit the process). */
class HelpShown extends Error {}

/** A command's name below `tdx` ("return watch"). */
function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function toOption(name: string, spec: OptionSpec): Option {
  const flags = spec.type === 'boolean' ? `--${name}` : `--${name} <${spec.value ?? 'VALUE'}>`;
  return new Option(flags, `${spec.help}${spec.required ? ' (required)' : ''}`);
}

/** The usage line after `tdx <command>`: its arguments, its required options, then [options]. */
function usageOf(spec: CommandSpec): string {
  const options = Object.entries(spec.options);
  const required = options.filter(([, o]) => o.required).map(([n, o]) => ` --${n} ${o.value ?? ''}`.trimEnd());
  return `${spec.args.map((a) => a.name).join(' ')}${required.join('')}${options.length > required.length ? ' [options]' : ''}`.trim();
}

/** What a parse ended with: the command whose action ran, or nothing (help, or an error thrown). */
interface ParseState {
  help: string;
  ran?: { spec: CommandSpec; command: Command };
}

/**
 * The whole command line as commander commands: `tdx`, the groups (`data`, `return`, `audit`) and
 * each command of COMMANDS. Commander parses, dispatches and writes help; the faults it finds are
 * thrown as UsageError with the usage of the command they concern, and never exit the process.
 */
function buildProgram(state: ParseState): Command {
  const program = new Command('tdx')
    .configureOutput({ writeOut: (text) => void (state.help += text), writeErr: () => undefined, outputError: () => undefined })
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', "show a command's help")
    .allowExcessArguments()
    .usage('<command> [arguments] [options]');
  for (const [name, spec] of Object.entries(GLOBAL_OPTIONS)) program.addOption(toOption(name, spec));
  program.configureHelp({
    styleTitle: (title) => title.toLowerCase(),
    // Every command by its full name, `data load` rather than the group `data`.
    visibleCommands: (command) => command.commands.flatMap((c) => (c.commands.length ? c.commands : [c])),
    subcommandTerm: (command) => fullName(command),
  });
  program.addHelpText('after', `\n${EXIT_CODES_HELP}`);
  const failWith = (command: Command, usage: () => string) =>
    command.exitOverride((error) => {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') throw new HelpShown();
      // Commander's messages name the fault ("error: unknown option '--x'"): kept, without the prefix.
      const message = error.message.replace(/^error: /, '');
      throw new UsageError(message.charAt(0).toUpperCase() + message.slice(1), usage());
    });
  const mainUsage = () => program.helpInformation();
  failWith(program, mainUsage);
  program.action(() => {
    const word = program.args[0];
    throw new UsageError(word === undefined ? 'no command given' : `unknown command "${word}"`, mainUsage());
  });

  const groups = new Map<string, Command>();
  const parentOf = (words: string[]): Command => {
    if (words.length === 1) return program;
    const name = words[0];
    let group = groups.get(name);
    if (!group) {
      const created = program.command(name).allowExcessArguments();
      // A group's help is the full help of each of its commands.
      created.configureHelp({
        styleTitle: (title) => title.toLowerCase(),
        showGlobalOptions: true,
        formatHelp: (command) => command.commands.map((c) => c.helpInformation().trimEnd()).join('\n\n') + '\n',
      });
      failWith(created, mainUsage);
      created.action(() => {
        const subs = created.commands.map((c) => c.name()).join('|');
        const word = created.args[0];
        throw new UsageError(`${word === undefined ? 'a subcommand is missing' : `unknown subcommand "${word}"`}: tdx ${name} ${subs}`, mainUsage());
      });
      groups.set(name, created);
      group = created;
    }
    return group;
  };

  for (const spec of COMMANDS) {
    const words = spec.name.split(' ');
    const command = parentOf(words)
      .command(words[words.length - 1])
      .description(spec.summary)
      .usage(usageOf(spec))
      .allowExcessArguments();
    // Arguments are checked below, so that the messages say "missing FILE" and name an extra one.
    for (const argument of spec.args) command.argument(`[${argument.name}]`, argument.help);
    for (const [name, option] of Object.entries(spec.options)) command.addOption(toOption(name, option));
    command.configureHelp({
      styleTitle: (title) => title.toLowerCase(),
      showGlobalOptions: true,
      argumentTerm: (argument) => argument.name(),
    });
    failWith(command, () => command.helpInformation());
    command.action(() => void (state.ran = { spec, command }));
  }
  return program;
}

/** Parses argv (without node and script) into a command to run, or help to print. Throws UsageError. */
export function parseCommandLine(argv: string[], env: Record<string, string | undefined> = process.env): Parsed {
  const state: ParseState = { help: '' };
  const program = buildProgram(state);
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof HelpShown) return { kind: 'help', text: state.help.trimEnd() };
    throw error;
  }
  if (!state.ran) throw new Error('the command line parsed to no command');
  const { spec, command } = state.ran;
  const usage = command.helpInformation();

  const positionals = command.args;
  if (positionals.length < spec.args.length) throw new UsageError(`missing ${spec.args[positionals.length].name}`, usage);
  if (positionals.length > spec.args.length) throw new UsageError(`unexpected argument "${positionals[spec.args.length]}"`, usage);

  const values = command.opts<Record<string, string | boolean | undefined>>();
  const options: Record<string, string | boolean | undefined> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const value = values[name];
    if (o.required && (value === undefined || value === '')) throw new UsageError(`--${name} is required`, usage);
    if (typeof value === 'string' && o.choices && !o.choices.includes(value)) {
      throw new UsageError(`--${name} must be one of ${o.choices.join(', ')} (got "${value}")`, usage);
    }
    options[name] = value;
  }

  const globals = program.opts<{ node?: string; token?: string; json?: boolean }>();
  const nodeUrl = globals.node || env.TDX_NODE_URL || DEFAULT_NODE_URL;
  try {
    const url = new URL(nodeUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new UsageError(`the node URL "${nodeUrl}" is not an http(s) URL (from ${globals.node ? '--node' : 'TDX_NODE_URL'})`);
  }

  return {
    kind: 'run',
    invocation: {
      command: spec.name,
      args: Object.fromEntries(spec.args.map((a, i) => [a.name, positionals[i]])),
      options,
      nodeUrl,
      json: globals.json === true,
      ...tokenOf(globals.token, env.TDX_TOKEN),
    },
  };
}
