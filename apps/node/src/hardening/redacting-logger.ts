import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { Redactor } from './redaction';

/**
 * The node's console logger, with every line and stack trace passed through a Redactor: the
 * node's own secrets (database and NATS passwords, the initial administrator's password, signing
 * secrets) and any URL password are replaced before they are written.
 */
export class RedactingLogger extends ConsoleLogger {
  constructor(private readonly redactor: Redactor, logLevels: LogLevel[]) {
    super({ logLevels });
  }

  protected override formatMessage(
    logLevel: LogLevel, message: unknown, pidMessage: string, formattedLogLevel: string, contextMessage: string, timestampDiff: string,
  ): string {
    return this.redactor.redact(super.formatMessage(logLevel, message, pidMessage, formattedLogLevel, contextMessage, timestampDiff));
  }

  // Nest calls this with whatever was passed as the stack, often nothing; a logger must never throw.
  protected override printStackTrace(stack: string | undefined): void {
    super.printStackTrace(typeof stack === 'string' ? this.redactor.redact(stack) : (stack as unknown as string));
  }
}
