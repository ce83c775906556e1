import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeRuntimeConfig } from '../config/node-config';
import { UploadSpools } from './upload-spool';

describe('UploadSpools', () => {
  async function spoolsIn(dir: string): Promise<UploadSpools> {
    const spools = new UploadSpools({ code: '330106', http: { uploadSpoolDir: dir } } as unknown as NodeRuntimeConfig);
    await spools.onModuleInit();
    return spools;
  }

  it('writes checked rows as COPY text, readable by the node only, with no listener left behind by backpressure', async () => {
    const spools = await spoolsIn(mkdtempSync(join(tmpdir(), 'tdx-spool-unit-')));
    const spool = await spools.open();
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 1000; i++) spool.add(round * 1000 + i + 2, `key\t${i}`, '330106', '{"name":"a\\\\b"}');
      await spool.flush();
    }
    const file = (spool as unknown as { file: NodeJS.EventEmitter }).file;
    expect(file.listenerCount('close')).toBe(0);
    expect(file.listenerCount('drain')).toBe(0);
    await spool.close();
    const lines = readFileSync(spool.path, 'utf8').split('\n');
    expect(lines[0]).toBe('2\tkey\\t0\t330106\t{"name":"a\\\\\\\\b"}');
    expect(lines).toHaveLength(100_001);
    expect(statSync(spool.path).mode & 0o777).toBe(0o600);
    await spool.remove();
    expect(existsSync(spool.path)).toBe(false);
    await spools.onApplicationShutdown();
  });

  it("removes an unfinished spool, and its own directory at shutdown, leaving other nodes' alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdx-spool-unit-'));
    const [mine, other] = [await spoolsIn(dir), await spoolsIn(dir)];
    const spool = await mine.open();
    spool.add(2, 'k', '330106', '{}');
    await spool.remove();
    expect(existsSync(spool.path)).toBe(false);
    await other.open();
    await mine.onApplicationShutdown();
    expect(readdirSync(dir)).toHaveLength(1);
    await other.onApplicationShutdown();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("removes at start the spool a killed process left (kill -9), and leaves running processes' spools alone", async () => {
    const root = mkdtempSync(join(tmpdir(), 'tdx-spool-unit-'));
    const idle = () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const spoolOf = (code: string, pid: number) => {
      const dir = join(root, `tdx-uploads-${code}-${pid}-aB3xYz`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'rows.copy'), 'sensitive rows');
      return dir;
    };
    const [killed, running] = [idle(), idle()];
    try {
      const leftover = spoolOf('330106', killed.pid as number);
      const alive = spoolOf('330100', running.pid as number);
      // Of an earlier process with this one's pid (a restarted container), made before this process started.
      const earlier = spoolOf('330106', process.pid);
      utimesSync(earlier, new Date(0), new Date(0));
      const unrelated = join(root, 'tdx-uploads-notes');
      mkdirSync(unrelated);
      killed.kill('SIGKILL');
      await once(killed, 'exit');

      const spools = await spoolsIn(root);
      expect(existsSync(leftover)).toBe(false);
      expect(existsSync(earlier)).toBe(false);
      expect(existsSync(alive)).toBe(true);
      expect(existsSync(unrelated)).toBe(true);
      // This process's own new directory is no leftover for a second node started in it.
      const second = await spoolsIn(root);
      expect(readdirSync(root).filter((name) => name.includes(`-${process.pid}-`))).toHaveLength(2);
      await spools.onApplicationShutdown();
      await second.onApplicationShutdown();
    } finally {
      running.kill('SIGKILL');
    }
  });
});
