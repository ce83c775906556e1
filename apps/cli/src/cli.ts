import { parseCommandLine } from './args';
import { NodeClient } from './client';
import { CredentialStore, credentialsPath } from './credentials';
import { Session } from './session';
import { readSecret, readSecrets } from './secret-input';
import type { Context } from './context';
import { describeError, EXIT, exitCodeOf, CliError } from './errors';
import type { Output } from './progress';

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
    const o = Object.fromEntries(Object.entries(inv.options).map(([k, v]) => [k, typeof v === 'string' ? v : undefined]));
    const given = io.readSecret;
    await parsed.spec.run(ctx, {
      inv,
      o,
      store,
      readSecret: given ?? ((prompt) => readSecret(prompt)),
      readSecrets: given
        ? async (prompts) => {
            const answers: string[] = [];
            for (const prompt of prompts) answers.push(await given(prompt));
            return answers;
          }
        : (prompts) => readSecrets(prompts),
    });
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
