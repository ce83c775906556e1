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

  protected override printStackTrace(stack: string): void {
    super.printStackTrace(this.redactor.redact(stack));
  }
}
