/** What a progress display writes to: stdout in the CLI, a fake in tests. */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Seconds as m:ss or h:mm:ss; "?" when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A bar of `width` cells for done/total; an unknown total gives an empty bar. */
export function renderBar(done: number, total: number | null | undefined, width: number): string {
  const fraction = total && total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const full = Math.round(fraction * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

export function percent(done: number, total: number | null | undefined): string {
  if (!total || total <= 0) return '  ?%';
  return `${Math.floor(Math.min(1, done / total) * 100)}%`.padStart(4);
}

export interface ProgressOptions {
  /** Minimum time between two TTY redraws. */
  redrawMs?: number;
  /** Time between two plain lines when the output is not a terminal. */
  lineEveryMs?: number;
  now?: () => number;
}

/*
 * Our own rather than cli-progress: that library redraws on a timer of its own, reads the wall
 * clock itself and moves the cursor with ANSI escapes, so a test can neither drive it nor check
 * what it wrote; its rate and ETA would be computed here, while a return job's come from the node.
 * What is needed is one line redrawn with `\r`, or a plain line now and then, in under 50 lines.
 */

/**
 * One live status line. On a terminal it redraws itself in place (`\r`, at most every `redrawMs`);
 * elsewhere (a pipe, a log file, CI) it prints a plain line every `lineEveryMs`, so logs stay readable.
 * `line(width)` builds the text: the bar gets whatever width the terminal leaves.
 */
export class ProgressLine {
  private lastDraw = -Infinity;
  private lastWidth = 0;
  private finished = false;
  private readonly redrawMs: number;
  private readonly lineEveryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly out: Output,
    private readonly line: (barWidth: number) => string,
    options: ProgressOptions = {},
  ) {
    this.redrawMs = options.redrawMs ?? 100;
    this.lineEveryMs = options.lineEveryMs ?? 2000;
    this.now = options.now ?? (() => Date.now());
  }

  get tty(): boolean {
    return this.out.isTTY === true;
  }

  /** Draws if enough time has passed since the last draw (or `force`). */
  update(force = false): void {
    if (this.finished) return;
    const now = this.now();
    if (!force && now - this.lastDraw < (this.tty ? this.redrawMs : this.lineEveryMs)) return;
    this.lastDraw = now;
    if (this.tty) {
      const columns = this.out.columns ?? 80;
      const text = this.line(Math.max(10, Math.min(40, columns - 60)));
      const clipped = text.length > columns - 1 ? text.slice(0, columns - 1) : text;
      this.out.write(`\r${clipped}${' '.repeat(Math.max(0, this.lastWidth - clipped.length))}`);
      this.lastWidth = clipped.length;
    } else {
      this.out.write(`${this.line(20)}\n`);
    }
  }

  /** Draws the final state once and ends the line. */
  finish(): void {
    if (this.finished) return;
    this.update(true);
    if (this.tty) this.out.write('\n');
    this.finished = true;
  }
}
