import { formatBytes, formatDuration, type Output, percent, ProgressLine, renderBar } from './progress';
import type { ReturnJobView } from '@tdx/contracts';
import { jobLine } from './commands/returns';

class FakeOutput implements Output {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 100,
  ) {}
  write(chunk: string) {
    this.text += chunk;
  }
}

describe('progress rendering', () => {
  it('formats bars, percentages, sizes and durations', () => {
    expect(renderBar(0, 100, 10)).toBe('[----------]');
    expect(renderBar(50, 100, 10)).toBe('[#####-----]');
    expect(renderBar(150, 100, 10)).toBe('[##########]');
    expect(renderBar(5, null, 4)).toBe('[----]');
    expect(percent(1, 3)).toBe(' 33%');
    expect(percent(1, 0)).toBe('  ?%');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536 * 1024)).toBe('1.5 MB');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(null)).toBe('?');
    expect(formatDuration(Infinity)).toBe('?');
  });

  it('shows a job as rows done of total, rate and ETA', () => {
    const job: ReturnJobView = {
      id: 'j',
      requestId: 'r',
      kind: 'full',
      state: 'running',
      rowsDone: 250_000,
      rowsTotal: 1_000_000,
      upserts: 250_000,
      deletes: 0,
      ratePerSec: 51_234.4,
      etaSeconds: 14.6,
      lastError: null,
      attempts: 0,
      nextAttemptAt: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: null,
      finishedAt: null,
    };
    expect(jobLine(job, 8)).toBe('[##------]  25% 250,000/1,000,000 rows  51,234 rows/s  ETA 0:15  running');
    expect(jobLine({ ...job, rowsTotal: null, ratePerSec: null, etaSeconds: null, state: 'queued' }, 4)).toBe(
      '[----]   ?% 250,000/? rows  ? rows/s  ETA ?  queued',
    );
  });

  it('redraws in place on a terminal, at most every redrawMs, and ends the line once', () => {
    let now = 0;
    let n = 0;
    const out = new FakeOutput(true);
    const line = new ProgressLine(out, () => `step ${n}`, { redrawMs: 100, now: () => now });
    line.update();
    n = 1;
    now = 50;
    line.update(); // too soon: skipped
    n = 2;
    now = 150;
    line.update();
    line.finish();
    line.finish();
    expect(out.text).toBe('\rstep 0\rstep 2\rstep 2\n');
  });

  it('pads over a longer previous line and clips to the terminal width', () => {
    const out = new FakeOutput(true, 12);
    let text = 'a much longer line';
    const line = new ProgressLine(out, () => text, { redrawMs: 0 });
    line.update();
    text = 'short';
    line.update();
    expect(out.text).toBe(`\ra much long\rshort${' '.repeat(6)}`);
  });

  it('prints plain periodic lines when the output is not a terminal', () => {
    let now = 0;
    const out = new FakeOutput(false);
    const line = new ProgressLine(out, () => `at ${now}`, { lineEveryMs: 2000, now: () => now });
    for (now = 0; now <= 5000; now += 100) line.update();
    now = 5050;
    line.finish();
    expect(out.text).toBe('at 0\nat 2000\nat 4000\nat 5050\n');
    expect(out.text).not.toContain('\r');
  });
});
