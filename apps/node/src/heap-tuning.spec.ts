import { spawnSync } from 'node:child_process';
import { HEAP_GROWING_PERCENT } from './heap-tuning';

describe('heap tuning', () => {
  // For a flag V8 does not know, setFlagsFromString prints a line to stderr and carries on; the
  // command line refuses it. A Node.js whose V8 dropped the flag fails here, not in a log line.
  it("sets a flag this Node.js's V8 knows", () => {
    const run = spawnSync(process.execPath, [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`, '-e', '0'], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const unknown = spawnSync(process.execPath, ['--heap-growing-percent-unknown=1', '-e', '0'], { encoding: 'utf8' });
    expect(unknown.status).not.toBe(0);
  });
});
