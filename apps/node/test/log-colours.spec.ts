import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, NodeProcess, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { coloursWanted } from '../src/hardening/redacting-logger';

/** A node whose output goes to a file writes plain text: no terminal colour codes for grep or a log shipper to strip. */
describe('log colours', () => {
  let db: TestDatabase;
  let node: NodeProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('log_colours');
  });

  afterAll(async () => {
    await node?.stop();
    await db?.drop();
  });

  it('writes no escape codes when its output goes to a file, NO_COLOR unset', async () => {
    const logFile = join(mkdtempSync(join(tmpdir(), 'tdx-log-')), 'node.log');
    // NodeProcess sets no NO_COLOR; make sure none comes from the environment of the test run either.
    const saved = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      node = await NodeProcess.start(
        { code: '330000', databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: testNamespace(), env: { LOG_LEVEL: 'log' } },
        { logFile },
      );
    } finally {
      if (saved !== undefined) process.env.NO_COLOR = saved;
    }
    await node.waitHealthy();
    const written = readFileSync(logFile, 'utf8');
    expect(written).toContain('listening on');
    expect(written).not.toMatch(/\x1b\[/);
    // Every line the node printed names it (NodeProcess's own '===' start marker aside).
    const lines = written.split('\n').filter((line) => line !== '' && !line.startsWith('=== '));
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.filter((line) => !line.startsWith('[tdx 330000] '))).toEqual([]);
  });

  it('keeps colours for a terminal only, and honours NO_COLOR there', () => {
    const tty = { isTTY: true };
    const file = {};
    expect(coloursWanted(tty, tty, {})).toBe(true);
    expect(coloursWanted(tty, tty, { NO_COLOR: '1' })).toBe(false);
    expect(coloursWanted(file, tty, {})).toBe(false);
    expect(coloursWanted(tty, file, {})).toBe(false);
  });
});
