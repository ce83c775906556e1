import { ConsoleLogger, Logger, LogLevel } from '@nestjs/common';
import { Redactor } from './redaction';

/**
 * The node's console logger, with every line and stack trace passed through a Redactor: the
 * node's own secrets (database and NATS passwords, the initial administrator's password, signing
 * secrets) and any URL password are replaced before they are written.
 */
export class RedactingLogger extends ConsoleLogger {
  private readonly secretRedactor: Redactor;

  constructor(
    private readonly secrets: string[],
    logLevels: LogLevel[],
    colors = coloursWanted(process.stdout, process.stderr, process.env),
  ) {
    super({ logLevels, colors });
    this.secretRedactor = new Redactor(secrets);
  }

  /**
   * The logger of a new node. Nest's `Logger` is process-wide: the application created last takes
   * it over. So in a process hosting several nodes (Article 9), each new node's logger redacts the
   * secrets of the nodes started before it as well as its own.
   */
  static forNode(secrets: string[], logLevels: LogLevel[]): RedactingLogger {
    // Nest offers no getter for the logger in use; without this field, each node redacts its own.
    const current = (Logger as unknown as { staticInstanceRef?: unknown }).staticInstanceRef;
    const inherited = current instanceof RedactingLogger ? current.secrets : [];
    return new RedactingLogger([...inherited, ...secrets], logLevels);
  }

  protected override formatMessage(
    logLevel: LogLevel,
    message: unknown,
    pidMessage: string,
    formattedLogLevel: string,
    contextMessage: string,
    timestampDiff: string,
  ): string {
    return this.secretRedactor.redact(super.formatMessage(logLevel, message, pidMessage, formattedLogLevel, contextMessage, timestampDiff));
  }

  // Nest calls this with whatever was passed as the stack, often nothing; a logger must never throw.
  protected override printStackTrace(stack: string | undefined): void {
    super.printStackTrace(typeof stack === 'string' ? this.secretRedactor.redact(stack) : (stack as unknown as string));
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
