import { Command, Option } from 'commander';
import { DEFAULT_NODE_URL } from './client';
import type { CommandSpec, Invocation, OptionSpec } from './command';
import { COMMANDS } from './commands';
import { UsageError } from './errors';

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  node: { type: 'string', value: 'URL', help: `the node's base URL (default: $TDX_NODE_URL, else ${DEFAULT_NODE_URL})` },
  token: { type: 'string', value: 'TOKEN', help: 'an access token to send instead of the tdx login session (default: $TDX_TOKEN)' },
  json: { type: 'boolean', help: 'machine output: one JSON document on stdout, no progress display' },
};

export type { Invocation };

function tokenOf(option: string | undefined, env: string | undefined): { token?: { token: string; from: string } } {
  if (option) return { token: { token: option, from: '--token' } };
  return env ? { token: { token: env, from: 'TDX_TOKEN' } } : {};
}

export type Parsed = { kind: 'run'; invocation: Invocation; spec: CommandSpec } | { kind: 'help'; text: string };

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

  spec.args.forEach((argument, i) => {
    const fault = argument.check?.(positionals[i]);
    if (fault) throw new UsageError(fault, usage);
  });

  const values = command.opts<Record<string, string | boolean | undefined>>();
  const options: Record<string, string | boolean | undefined> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    // Commander keys `--share-type` as shareType.
    const value = values[name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
    if (o.required && (value === undefined || value === '')) throw new UsageError(`--${name} is required`, usage);
    if (typeof value === 'string' && o.choices && !o.choices.includes(value)) {
      throw new UsageError(`--${name} must be one of ${o.choices.join(', ')} (got "${value}")`, usage);
    }
    const fault = typeof value === 'string' ? o.check?.(value) : undefined;
    if (fault) throw new UsageError(fault, usage);
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
    spec,
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
