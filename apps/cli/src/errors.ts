import type { ErrorView, UploadRefusalView } from '@tdx/contracts';

/** Exit codes of `tdx` (documented in docs/operator-guide.md, "The tdx command"). */
export const EXIT = {
  ok: 0,
  /** The node answered 4xx, refused the operation, or a job the command follows failed. */
  refused: 1,
  /** The command line is wrong: unknown command or option, missing argument, unreadable file. */
  usage: 2,
  /** The node could not be reached, or answered 5xx. */
  unavailable: 3,
  /** Not signed in, or the session or token was refused (401): run `tdx login`. */
  unauthenticated: 4,
  /** `tdx audit verify` found the audit log (or an export of it) tampered with. */
  tampered: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Base of every error the CLI reports itself; anything else is a bug and says so. */
export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCode;
  /** Lines under the one-line message (fields, rows, hints). */
  details(): string[] {
    return [];
  }
  /** The machine form, printed under `error` with --json. */
  toJSON(): Record<string, unknown> {
    return { kind: this.constructor.name, message: this.message };
  }
}

export class UsageError extends CliError {
  readonly exitCode = EXIT.usage;
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
  override details(): string[] {
    return this.usage ? ['', this.usage] : [];
  }
  override toJSON(): Record<string, unknown> {
    return { kind: 'usage', message: this.message };
  }
}

/** The node could not be reached at all (refused, DNS, timeout, reset). */
export class UnreachableError extends CliError {
  readonly exitCode = EXIT.unavailable;
  constructor(
    readonly url: string,
    readonly code: string | undefined,
    cause?: unknown,
  ) {
    super(`cannot reach the node at ${url}${code ? ` (${code})` : ''}: the node may be down, or --node / TDX_NODE_URL points elsewhere`, { cause });
  }
  override toJSON(): Record<string, unknown> {
    return { kind: 'unreachable', message: this.message, url: this.url, code: this.code ?? null };
  }
}

type Loose<T> = T extends (infer I)[] ? Loose<I>[] : T extends object ? { [K in keyof T]?: Loose<T[K]> } : T;

/**
 * The refusal bodies of libs/contracts (ErrorView, and an upload's errors by line), every member
 * optional at every depth: a proxy in between may answer with anything.
 */
export type ApiErrorBody = Loose<ErrorView & Pick<UploadRefusalView, 'errors' | 'truncated'>>;

/** A non-2xx answer from the node. */
export class ApiError extends CliError {
  readonly exitCode: ExitCode;
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: ApiErrorBody | string,
  ) {
    super(ApiError.summary(status, body));
    this.exitCode = status >= 500 ? EXIT.unavailable : EXIT.refused;
  }

  private static summary(status: number, body: ApiErrorBody | string): string {
    const who = status >= 500 ? 'the node failed' : 'the node refused';
    if (typeof body === 'string') return `${who} (HTTP ${status})${body.trim() ? `: ${body.trim().slice(0, 300)}` : ''}`;
    const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    const label = body.error ? `${status} ${body.error}` : `HTTP ${status}`;
    return `${who} (${label})${message ? `: ${message}` : ''}`;
  }

  override details(): string[] {
    const body = this.body;
    const lines: string[] = [];
    if (typeof body === 'string') return lines;
    const refusals = body.refusals?.length ? body.refusals : body.rule ? [{ rule: body.rule, article: body.article, message: undefined }] : [];
    for (const r of refusals) {
      lines.push(`  rule ${r.rule ?? '?'}${r.article ? ` (${r.article})` : ''}${r.message && r.message !== body.message ? `: ${r.message}` : ''}`);
    }
    for (const f of body.fields ?? []) {
      lines.push(`  ${f.row !== undefined ? `row ${f.row} ` : ''}${f.field ?? '(body)'}: ${(f.messages ?? []).join('; ')}`);
    }
    if (body.field && !body.fields) lines.push(`  field ${body.field}`);
    for (const e of body.errors ?? []) lines.push(`  line ${e.line ?? '?'}: ${e.message ?? ''}`);
    if (body.truncated) lines.push('  ... and maybe more: the node stopped looking here');
    return lines;
  }

  override toJSON(): Record<string, unknown> {
    return { kind: 'api', status: this.status, method: this.method, url: this.url, body: this.body };
  }
}

/** No valid sign-in for the node: none stored, the session ended, or a given token was refused. */
export class NotSignedInError extends CliError {
  readonly exitCode = EXIT.unauthenticated;
  constructor(
    message: string,
    readonly url: string,
  ) {
    super(message);
  }
  override toJSON(): Record<string, unknown> {
    return { kind: 'unauthenticated', message: this.message, url: this.url };
  }
}

/** The operation reached the node and ran, but ended badly (a failed job, a refused request). */
export class OperationFailed extends CliError {
  readonly exitCode = EXIT.refused;
  constructor(
    message: string,
    readonly result?: unknown,
  ) {
    super(message);
  }
  override toJSON(): Record<string, unknown> {
    return { kind: 'failed', message: this.message, result: this.result ?? null };
  }
}

/** The exit code for anything thrown: our own errors say theirs; anything else is a bug (70, EX_SOFTWARE). */
export function exitCodeOf(error: unknown): number {
  return error instanceof CliError ? error.exitCode : 70;
}

/** The lines printed on stderr for an error. */
export function describeError(error: unknown): string[] {
  if (error instanceof CliError) return [`tdx: ${error.message}`, ...error.details()];
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return [`tdx: unexpected error (a bug in tdx, please report it): ${text}`];
}

/** The audit chain is broken: the verification ran and found tampering (or damage) at a named record. */
export class AuditTamperedError extends CliError {
  readonly exitCode = EXIT.tampered;
  constructor(
    message: string,
    readonly result: unknown,
  ) {
    super(message);
  }
  override toJSON(): Record<string, unknown> {
    return { kind: 'tampered', message: this.message, result: this.result };
  }
}
