import { AsyncLocalStorage } from 'node:async_hooks';
import { ConsoleLogger, Logger, LogLevel } from '@nestjs/common';
import { inspect } from 'node:util';
import { Redactor } from './redaction';

/** `text`: Nest's console lines, for a person at a terminal; `json`: one object per line, for a log shipper (LOG_FORMAT). */
export type LogFormat = 'text' | 'json';

/**
 * In a process hosting several nodes (TDX_NODES_FILE), Nest's `Logger` is one for the process: a
 * service's `new Logger('Context')` writes through whichever node's logger was installed last. So
 * each node is started inside `asNode(code, ...)`, whose context everything it starts inherits
 * (its timers, connections, HTTP server), and a line is written by the logger of the node whose
 * code is running: every line names the right node and redacts with its secrets.
 */
const runningNode = new AsyncLocalStorage<string>();
const loggerOfNode = new Map<string, RedactingLogger>();

/** Runs `work` (a node's start) as node `code`: its lines, now and later, are that node's. */
export function asNode<T>(code: string, work: () => T): T {
  return runningNode.run(code, work);
}

export interface NodeLoggerOptions {
  /** The node's division code: every line names it, so that the logs of several nodes can be told apart. */
  node: string;
  /** Values never to be written (passwords, tokens): see node-secrets.ts. */
  secrets: string[];
  logLevels: LogLevel[];
  format?: LogFormat;
  colors?: boolean;
}

/** One line of a `json` log. `time` is ISO 8601 in UTC; `stack` only for errors that carry one. */
export interface JsonLogLine {
  time: string;
  level: LogLevel;
  node: string;
  context: string;
  message: string;
  pid: number;
  stack?: string;
}

/**
 * The node's console logger, with every line and stack trace passed through a Redactor: the
 * node's own secrets (database and NATS passwords, the initial administrator's password, signing
 * secrets) and any URL password are replaced before they are written. Every line names the node
 * it belongs to; the node's code is a field of this instance, not of the process, so that each of
 * several nodes in one process can have a logger of its own.
 */
export class RedactingLogger extends ConsoleLogger {
  readonly node: string;
  readonly format: LogFormat;
  private readonly secrets: string[];
  private readonly secretRedactor: Redactor;
  /** `[tdx 330106]`: starts every text line, stack-trace lines and a message's later lines included. */
  private readonly linePrefix: string;

  constructor(options: NodeLoggerOptions) {
    const format = options.format ?? 'text';
    // Escape codes in JSON would corrupt it for the shipper whatever the terminal.
    const colors = format === 'json' ? false : (options.colors ?? coloursWanted(process.stdout, process.stderr, process.env));
    super({ logLevels: options.logLevels, colors, prefix: `tdx ${options.node}` });
    this.node = options.node;
    this.format = format;
    this.secrets = options.secrets;
    this.secretRedactor = new Redactor(options.secrets);
    this.linePrefix = `[tdx ${options.node}]`;
    loggerOfNode.set(options.node, this);
  }

  /**
   * The logger of a new node. Nest's `Logger` is process-wide: the application created last takes
   * it over. So in a process hosting several nodes (Article 9), each new node's logger redacts the
   * secrets of the nodes started before it as well as its own.
   */
  static forNode(options: NodeLoggerOptions): RedactingLogger {
    // Nest offers no getter for the logger in use; without this field, each node redacts its own.
    const current = (Logger as unknown as { staticInstanceRef?: unknown }).staticInstanceRef;
    const inherited = current instanceof RedactingLogger ? current.secrets : [];
    return new RedactingLogger({ ...options, secrets: [...inherited, ...options.secrets] });
  }

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    const owner = loggerOfNode.get(runningNode.getStore() ?? '');
    if (owner && owner !== this) return owner.printMessages(messages, context, logLevel, writeStreamType, errorStack, params);
    if (this.format === 'text') return super.printMessages(messages, context, logLevel, writeStreamType, errorStack, params);
    for (const message of messages) {
      const line = this.jsonLine(logLevel, context, this.messageText(message, params), errorStack);
      process[writeStreamType ?? 'stdout'].write(`${JSON.stringify(line)}\n`);
    }
  }

  /** Every field is redacted on its own, before serialising: a secret holding `"` or `\` would not match once escaped. */
  private jsonLine(level: LogLevel, context: string, message: string, stack: unknown): JsonLogLine {
    const line: JsonLogLine = {
      time: new Date().toISOString(),
      level,
      node: this.node,
      context: this.secretRedactor.redact(context),
      message: this.secretRedactor.redact(message),
      pid: process.pid,
    };
    if (typeof stack === 'string' && stack !== '') line.stack = this.secretRedactor.redact(stack);
    return line;
  }

  private messageText(message: unknown, params: Record<string, unknown> | undefined): string {
    const resolved = this.resolveMessage(message);
    const text = typeof resolved === 'string' ? resolved : inspect(resolved, { depth: 5, compact: true, breakLength: Infinity });
    return params ? `${text} ${inspect(params, { depth: 5, compact: true, breakLength: Infinity })}` : text;
  }

  protected override formatMessage(
    logLevel: LogLevel,
    message: unknown,
    pidMessage: string,
    formattedLogLevel: string,
    contextMessage: string,
    timestampDiff: string,
    params?: Record<string, unknown>,
  ): string {
    const formatted = super.formatMessage(logLevel, message, pidMessage, formattedLogLevel, contextMessage, timestampDiff, params);
    return this.secretRedactor.redact(this.prefixLaterLines(formatted));
  }

  // Nest calls this with whatever was passed as the stack, often nothing; a logger must never throw.
  protected override printStackTrace(stack: string | undefined): void {
    if (this.format === 'json') return; // the stack is a field of the line itself
    super.printStackTrace(typeof stack === 'string' ? this.secretRedactor.redact(this.prefixEveryLine(stack)) : (stack as unknown as string));
  }

  /** A multi-line message keeps naming the node on each of its lines (grep by node finds them all). */
  private prefixLaterLines(formatted: string): string {
    const body = formatted.endsWith('\n') ? formatted.slice(0, -1) : formatted;
    if (!body.includes('\n')) return formatted;
    return `${body.split('\n').join(`\n${this.linePrefix} `)}\n`;
  }

  private prefixEveryLine(text: string): string {
    return text
      .split('\n')
      .map((line) => `${this.linePrefix} ${line}`)
      .join('\n');
  }
}

/**
 * Terminal colours only when both streams the logger writes to (stdout for log lines, stderr for
 * warnings and errors) are terminals and NO_COLOR is unset: a log written to a file, a pipe or the
 * journal carries no escape codes that grep and log shippers would have to strip.
 */
export function coloursWanted(stdout: { isTTY?: boolean }, stderr: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stdout.isTTY === true && stderr.isTTY === true && !env.NO_COLOR;
}
