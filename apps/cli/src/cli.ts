import { parseCommandLine } from './args';
import { NodeClient } from './client';
import { CredentialStore, credentialsPath } from './credentials';
import { Session } from './session';
import { readSecret } from './secret-input';
import { loginCommand, logoutCommand, whoamiCommand } from './commands/auth';
import type { Context } from './context';
import { describeError, EXIT, exitCodeOf, CliError } from './errors';
import type { Output } from './progress';
import { auditExportCommand, auditListCommand, auditPruneCommand, auditVerifyCommand } from './commands/audit';
import { dataLoadCommand } from './commands/data-load';
import { nodeCommand } from './commands/node';
import {
  decideCommand,
  jobsCommand,
  listCommand,
  rowsCommand,
  parseInterval,
  requestCommand,
  revokeCommand,
  showCommand,
  subtreeCommand,
  withdrawCommand,
  syncCommand,
  watchCommand,
} from './commands/returns';

export interface Io {
  out: Output;
  err: Output;
  env: Record<string, string | undefined>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Reads a password (tests give one; else the terminal without echo, or standard input). */
  readSecret?: (prompt: string) => Promise<string>;
}

/** Runs one command line; returns the exit code (never throws, never exits). */
export async function run(argv: string[], io: Io): Promise<number> {
  let json = argv.includes('--json');
  try {
    const parsed = parseCommandLine(argv, io.env);
    if (parsed.kind === 'help') {
      io.out.write(`${parsed.text}\n`);
      return EXIT.ok;
    }
    const { invocation: inv } = parsed;
    json = inv.json;
    const now = io.now ?? (() => Date.now());
    const store = new CredentialStore(credentialsPath(io.env));
    const base = inv.nodeUrl.replace(/\/+$/, '');
    const ctx: Context = {
      client: new NodeClient(base, 30_000, new Session(base, store, now, inv.token)),
      out: io.out,
      err: io.err,
      json,
      now,
      sleep: io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    };
    const o = inv.options as Record<string, string | undefined>;
    switch (inv.command) {
      case 'login':
        await loginCommand(ctx, store, o.username as string, io.readSecret ?? ((prompt) => readSecret(prompt)));
        break;
      case 'logout':
        await logoutCommand(ctx, store);
        break;
      case 'whoami':
        await whoamiCommand(ctx);
        break;
      case 'node':
        await nodeCommand(ctx);
        break;
      case 'data load':
        await dataLoadCommand(ctx, inv.args.FILE, o.entry as string, o.format);
        break;
      case 'return request':
        await requestCommand(ctx, { entryId: o.entry as string, holder: o.holder as string, scope: o.scope ?? 'self', purpose: o.purpose as string });
        break;
      case 'return approve':
        await decideCommand(ctx, inv.args.ID, 'approve', o.note);
        break;
      case 'return reject':
        await decideCommand(ctx, inv.args.ID, 'reject', o.reason);
        break;
      case 'return list':
        await listCommand(ctx, o.direction, o.state);
        break;
      case 'return withdraw':
        await withdrawCommand(ctx, inv.args.ID, o.reason);
        break;
      case 'return revoke':
        await revokeCommand(ctx, inv.args.ID, o.reason as string);
        break;
      case 'return subtree':
        await subtreeCommand(ctx, o.cursor);
        break;
      case 'return show':
        await showCommand(ctx, inv.args.ID);
        break;
      case 'return sync':
        await syncCommand(ctx, inv.args.REQUEST_ID, inv.options.watch === true, 1000);
        break;
      case 'return rows':
        await rowsCommand(ctx, inv.args.REQUEST_ID, o);
        break;
      case 'return jobs':
        await jobsCommand(ctx, inv.args.REQUEST_ID);
        break;
      case 'audit verify':
        await auditVerifyCommand(ctx, { file: o.file, anchor: o.anchor });
        break;
      case 'audit export':
        await auditExportCommand(ctx, { from: o.from, to: o.to });
        break;
      case 'audit prune':
        await auditPruneCommand(ctx, { file: o.file });
        break;
      case 'audit list':
        await auditListCommand(ctx, o);
        break;
      case 'return watch':
        await watchCommand(ctx, inv.args.JOB, parseInterval(o.interval));
        break;
      default:
        throw new Error(`command ${inv.command} has no handler`);
    }
    return EXIT.ok;
  } catch (error) {
    const code = exitCodeOf(error);
    if (json) {
      const detail = error instanceof CliError ? error.toJSON() : { kind: 'bug', message: String(error) };
      io.out.write(`${JSON.stringify({ error: { ...detail, exitCode: code } }, null, 2)}\n`);
    }
    for (const line of describeError(error)) io.err.write(`${line}\n`);
    return code;
  }
}
