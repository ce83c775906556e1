import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, WriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { copyJsonField, copyTextField } from '../common/copy-text';

/**
 * The checked rows of one upload, written to a temporary file as COPY text while the upload
 * arrives, so that no database connection waits on the client: a connection is taken only once
 * the whole upload is in and free of errors, and the file is then copied into the load's
 * staging table at the speed of the disk. The file holds each row's line number, key, region and
 * data as JSON: about the size of the decompressed upload plus the item names of each row.
 */
export class SpooledRows {
  private batch: string[] = [];
  private closed = false;

  constructor(
    readonly path: string,
    private readonly file: WriteStream,
  ) {
    // Errors surface through flush() and close(); keep one between them from being unhandled.
    file.on('error', () => undefined);
  }

  /** A checked row; or, with region and data null, the key of a row of an upload that will be refused. */
  add(line: number, rowKey: string, regionCode: string | null, data: string | null): void {
    const rest = regionCode === null || data === null ? '\\N\t\\N' : `${regionCode}\t${copyJsonField(data)}`;
    this.batch.push(`${line}\t${copyTextField(rowKey)}\t${rest}\n`);
  }

  /** Writes the queued rows, waiting while the disk is behind (so memory stays bounded). */
  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const text = this.batch.join('');
    this.batch = [];
    if (!this.file.write(text)) await waitFor(this.file, 'drain');
  }

  /** Every row is on disk. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.file.end();
    await waitFor(this.file, 'finish');
  }

  /** Deletes the file, whatever state the upload ended in. */
  async remove(): Promise<void> {
    if (!this.closed) this.file.destroy();
    await rm(this.path, { force: true });
  }
}

/** Resolves on `event`, rejects on the stream's error or early close; leaves no listener behind. */
async function waitFor(stream: WriteStream, event: 'drain' | 'finish'): Promise<void> {
  if (stream.errored) throw stream.errored;
  const done = new AbortController();
  try {
    await Promise.race([
      once(stream, event, { signal: done.signal }),
      once(stream, 'close', { signal: done.signal }).then(() => {
        if (event === 'drain' || !stream.writableFinished) throw stream.errored ?? new Error('the spool file was closed early');
      }),
    ]);
  } finally {
    done.abort();
  }
}

/**
 * This node's spool directory: a fresh one inside UPLOAD_SPOOL_DIR at start (several nodes in
 * one process never share one), removed with everything in it at shutdown. Its name carries the
 * process id, so that the directories a killed process left (kill -9 runs no shutdown) are known
 * as leftovers and removed at the next start.
 */
@Injectable()
export class UploadSpools implements OnModuleInit, OnApplicationShutdown {
  private dir: string | undefined;

  constructor(@Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig) {}

  async onModuleInit(): Promise<void> {
    const root = this.config.http.uploadSpoolDir;
    await removeLeftoverSpools(root);
    this.dir = await mkdtemp(join(root, `${SPOOL_PREFIX}${this.config.code}-${process.pid}-`));
  }

  async open(): Promise<SpooledRows> {
    if (!this.dir) throw new Error('the upload spool directory is not ready');
    const path = join(this.dir, `${randomUUID()}.copy`);
    // Readable by this process's user only: the rows may be sensitive.
    const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    await Promise.race([once(file, 'open'), once(file, 'error').then(([error]) => Promise.reject(error))]);
    return new SpooledRows(path, file);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

const SPOOL_PREFIX = 'tdx-uploads-';
// tdx-uploads-<node code>-<process id>-<random>, as onModuleInit names them.
const SPOOL_NAME = /^tdx-uploads-[^-]+-(\d+)-[^-]+$/;

/**
 * Removes from `root` the spool directories of processes that ended without their shutdown (a
 * kill -9, a crash): those of a process no longer running, and those of an earlier process that had
 * this one's id (a container restarts with the same pid) made before this process started. Another
 * running node's directory, or one of this process's own nodes, is left alone. Returns the names removed.
 */
export async function removeLeftoverSpools(root: string): Promise<string[]> {
  const started = Date.now() - process.uptime() * 1000;
  const removed: string[] = [];
  for (const name of await readdir(root).catch(() => [])) {
    const match = SPOOL_NAME.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    const path = join(root, name);
    const leftover = pid === process.pid ? ((await stat(path).catch(() => undefined))?.mtimeMs ?? Infinity) < started : !isRunning(pid);
    if (!leftover) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
