import type { NodeClient } from './client';
import type { Output } from './progress';

/** What a command needs from the outside world; tests give fakes. */
export interface Context {
  client: NodeClient;
  out: Output;
  /** Standard error, for what must not mix with a command's output (the summary of an export). */
  err?: Output;
  json: boolean;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** Prints the result: the JSON document with --json, else the human lines. */
export function emit(ctx: Context, result: unknown, human: () => string[]): void {
  if (ctx.json) ctx.out.write(`${JSON.stringify(result, null, 2)}\n`);
  else for (const line of human()) ctx.out.write(`${line}\n`);
}

/** A plain-text table with columns padded to their widest cell (CJK characters take two columns). */
export function table(header: string[], rows: string[][]): string[] {
  const width = (text: string) => [...text].reduce((w, ch) => w + ((ch.codePointAt(0) ?? 0) >= 0x2e80 ? 2 : 1), 0);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  const line = (r: string[]) =>
    r
      .map((c, i) => c + ' '.repeat(widths[i] - width(c)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}
