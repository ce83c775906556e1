import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
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
 * one process never share one), removed with everything in it at shutdown.
 */
@Injectable()
export class UploadSpools implements OnModuleInit, OnApplicationShutdown {
  private dir: string | undefined;

  constructor(@Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig) {}

  async onModuleInit(): Promise<void> {
    this.dir = await mkdtemp(join(this.config.http.uploadSpoolDir, `tdx-uploads-${this.config.code}-`));
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
