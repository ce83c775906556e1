import { HttpException, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DataSource, EntityManager } from 'typeorm';
import type { DatasetDeleteView, DatasetLoadView, DatasetRowView, DatasetSummaryView, UploadRefusalView } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal } from '../common/domain-refusal';
import { cursors } from '../common/cursor';
import { Page, PAGE_LIMITS, pageOf } from '../common/paging';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { DatasetEntry, DatasetRowRepository, DuplicateKey } from './dataset-row.repository';
import { KEY_COLUMNS, LineError, MAX_ERRORS, UploadFormat, UploadReader } from './upload-reader';
import { limitBytes } from '../hardening/request-limits';
import { maskPlan } from './masking';
import { WorkLimits } from '../hardening/work-limits';
import { SpooledRows, UploadSpools } from './upload-spool';

/**
 * A load that changed this many rows leaves the planner's statistics of dataset_row stale enough
 * to pick bad plans for the return reads (seen: 100 ms instead of 8 ms per chunk) until
 * autovacuum catches up, so the load vacuums and analyses the table itself.
 */
const RESTATISTICS_AFTER_ROWS = 10_000;

/** An upload refused for its content: every problem by line, nothing loaded. */
export class UploadRefusedException extends HttpException {
  constructor(errors: LineError[], truncated: boolean) {
    const first = errors[0];
    const body: UploadRefusalView = {
      statusCode: 400,
      error: 'Bad Request',
      message: `upload refused, nothing was loaded: ${errors.length}${truncated ? '+' : ''} error${errors.length === 1 ? '' : 's'}, the first at line ${first.line}: ${first.message}`,
      errors,
      truncated,
    };
    super(body, HttpStatus.BAD_REQUEST);
  }
}

/**
 * The client closed the connection before its upload was complete. Nobody is left to answer; the
 * status (nginx's "client closed request") is what the audit log records, instead of a 500.
 */
export class ClientAbortedException extends HttpException {
  constructor() {
    super(
      { statusCode: CLIENT_CLOSED_REQUEST, error: 'Client Closed Request', message: 'the client closed the connection during the upload; nothing was loaded' },
      CLIENT_CLOSED_REQUEST,
    );
  }
}

export const CLIENT_CLOSED_REQUEST = 499;

/** Whether the request stream ended because its client went away (not because of what it sent). */
function clientWentAway(body: Readable): boolean {
  const request = body as Readable & { complete?: boolean };
  return request.complete === false && (request.destroyed || request.readableAborted);
}

export class UnsupportedMediaTypeError extends HttpException {
  constructor(message: string) {
    super({ statusCode: HttpStatus.UNSUPPORTED_MEDIA_TYPE, error: 'Unsupported Media Type', message }, HttpStatus.UNSUPPORTED_MEDIA_TYPE);
  }
}

const MEDIA_TYPES: Record<string, UploadFormat> = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson', 'application/ndjson': 'ndjson' };
const RESERVED_NAMES = new Set<string>([...KEY_COLUMNS.csv, ...KEY_COLUMNS.ndjson]);

/** The format named by a Content-Type header, or a 415 naming what is accepted. */
export function uploadFormatOf(contentType: string | undefined, contentEncoding: string | undefined): { format: UploadFormat; gzip: boolean } {
  const accepted = 'send text/csv or application/x-ndjson, encoded as UTF-8';
  const [type, ...params] = (contentType ?? '').split(';').map((part) => part.trim());
  const format = MEDIA_TYPES[type.toLowerCase()];
  if (!format) throw new UnsupportedMediaTypeError(`${contentType ? `Content-Type ${contentType} is not accepted` : 'Content-Type is missing'}: ${accepted}`);
  for (const param of params) {
    const [name, value = ''] = param.split('=').map((part) => part.trim());
    if (name.toLowerCase() === 'charset' && !/^"?utf-?8"?$/i.test(value)) {
      throw new UnsupportedMediaTypeError(`charset ${value} is not accepted: ${accepted}`);
    }
  }
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new UnsupportedMediaTypeError(`Content-Encoding ${contentEncoding} is not accepted: send the body as is or gzip-compressed`);
  }
  return { format, gzip: encoding === 'gzip' };
}

/**
 * Dataset content of this node's own `data` entries: streaming loads (all or nothing), row
 * deletions as tombstones, and reading. Content lives at the entry's origin only; replicas
 * describe data held elsewhere.
 */
@Injectable()
export class DatasetsService {
  private readonly logger = new Logger('Datasets');

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly rows: DatasetRowRepository,
    private readonly entries: CatalogEntryRepository,
    private readonly spools: UploadSpools,
    private readonly limits: WorkLimits,
  ) {}

  /**
   * Loads an upload all or nothing, in two steps. First the body is received: each chunk is
   * checked and its rows are written to a spool file while the next chunk waits (backpressure),
   * so memory holds a chunk and a line whatever the size of the upload, and no database
   * connection waits on a slow client. Then, only for an upload without errors, one of the
   * node's bulk connections copies the file into a staging table and merges it into
   * dataset_row, in one transaction. The file is removed in every case.
   */
  async load(entryId: string, body: Readable, format: UploadFormat, gzip: boolean): Promise<DatasetLoadView> {
    const entry = await this.contentEntry(this.dataSource.manager, entryId, true);
    const spool = await this.spools.open();
    try {
      const reader = new UploadReader(format, { items: entry.dataItems, jurisdiction: this.config.code }, (line, key, region, data) =>
        spool.add(line, key, region, data),
      );
      await this.receive(entryId, body, gzip, reader, spool);
      reader.end();
      await spool.close();
      if (reader.errors.length > 0) {
        // Every error in one answer: keys given twice too, which only the spooled keys can tell.
        const duplicates = await this.limits.bulkDb.run(() => this.spooledDuplicates(spool.path));
        const { errors, truncated } = mergeErrors(reader.errors, duplicates.errors);
        throw new UploadRefusedException(errors, truncated || reader.truncated || duplicates.more);
      }
      return await this.limits.bulkDb.run(() => this.loadSpooled(entry, spool.path, reader.rowsRead));
    } finally {
      await spool.remove();
    }
  }

  /** Reads the body into the reader (and so the spool); a client that goes away ends it with ClientAbortedException. */
  private async receive(entryId: string, body: Readable, gzip: boolean, reader: UploadReader, spool: SpooledRows): Promise<void> {
    // pipeline(): a client that goes away mid-upload ends the loop with an error, gzip or not.
    const source = gzip ? pipeline(body, createGunzip(), () => undefined) : body;
    let received = 0;
    try {
      // Counted after decompression, so a small gzip body cannot unpack into an endless one.
      for await (const chunk of limitBytes(source, body, this.config.http.uploadLimitBytes)) {
        received += chunk.length;
        // Past the error limit the rest is drained unread, so that the client gets the answer.
        if (reader.stopped) continue;
        reader.push(chunk as Buffer);
        await spool.flush();
      }
    } catch (error) {
      if (error instanceof HttpException || error instanceof DomainRefusal) throw error;
      if (clientWentAway(body)) {
        this.logger.warn(`upload to dataset ${entryId} aborted by the client after ${received} bytes; nothing was loaded`);
        throw new ClientAbortedException();
      }
      if ((error as { code?: string }).code?.startsWith('Z_')) {
        throw new UploadRefusedException([{ line: 0, message: `the gzip-compressed body is corrupt: ${(error as Error).message}` }], true);
      }
      throw error;
    }
  }

  /** Copies a checked spool file into the dataset, all or nothing, on one connection. */
  private async loadSpooled(entry: DatasetEntry, path: string, rowsRead: number): Promise<DatasetLoadView> {
    const entryId = entry.id;
    const load = await this.rows.openLoad();
    try {
      await load.copyFile(path);
      const current = await load.lockEntry(entryId);
      if (!current || current.status !== 'active' || !sameItems(current.dataItems, entry.dataItems)) {
        throw DomainRefusal.conflict(`entry ${entryId} changed during the upload (retired, or its data items changed); upload again`);
      }
      // The grade is read under the lock: rows are masked at rest under the entry's plan of now.
      const merged = await load.merge(entryId, maskPlan(current.grade, current.dataItems));
      if (merged === 'duplicates') {
        const duplicates = duplicateErrors(await load.duplicates(MAX_ERRORS + 1));
        throw new UploadRefusedException(duplicates.errors, duplicates.more);
      }
      await load.commit();
      const { inserted, updated, lastChangeSeq } = merged;
      if (inserted + updated >= RESTATISTICS_AFTER_ROWS) await this.rows.refreshStatistics();
      return { entryId, rowsRead, inserted, updated, unchanged: rowsRead - inserted - updated, lastChangeSeq };
    } finally {
      await load.abandon();
    }
  }

  /** The keys given twice in the spool file of an upload that is refused anyway. */
  private async spooledDuplicates(path: string): Promise<{ errors: LineError[]; more: boolean }> {
    const load = await this.rows.openLoad();
    try {
      return duplicateErrors(await load.duplicatesInFile(path, MAX_ERRORS + 1));
    } finally {
      await load.abandon();
    }
  }

  async deleteRow(entryId: string, rowKey: string): Promise<DatasetDeleteView> {
    return this.dataSource.transaction(async (manager) => {
      await this.contentEntry(manager, entryId, true, true);
      const deleted = await this.rows.tombstone(manager, entryId, [rowKey]);
      if (deleted.length === 0) throw DomainRefusal.notFound(`dataset ${entryId} holds no row ${JSON.stringify(rowKey)}`);
      return { entryId, deleted: 1, lastChangeSeq: await this.rows.lastChangeSeq(manager, entryId) };
    });
  }

  /** All or nothing: when any key has no live row, nothing is deleted and the missing keys are named. */
  async deleteRows(entryId: string, rowKeys: string[]): Promise<DatasetDeleteView> {
    return this.dataSource.transaction(async (manager) => {
      await this.contentEntry(manager, entryId, true, true);
      const deleted = new Set(await this.rows.tombstone(manager, entryId, rowKeys));
      if (deleted.size < rowKeys.length) {
        const missing = rowKeys.filter((key) => !deleted.has(key));
        throw DomainRefusal.notFound(`nothing was deleted: ${missing.length} of the row keys have no row in dataset ${entryId}`, {
          details: { missing: missing.slice(0, MAX_ERRORS) },
        });
      }
      return { entryId, deleted: deleted.size, lastChangeSeq: await this.rows.lastChangeSeq(manager, entryId) };
    });
  }

  async summary(entryId: string): Promise<DatasetSummaryView> {
    const manager = this.dataSource.manager;
    await this.contentEntry(manager, entryId, false);
    // Counts every row of the dataset: one of the bulk connections, not one the node's other work needs.
    return { entryId, ...(await this.limits.bulkDb.run(() => this.rows.summary(manager, entryId))) };
  }

  async listRows(entryId: string, query: { region?: string; limit?: number; cursor?: string }): Promise<Page<DatasetRowView>> {
    const manager = this.dataSource.manager;
    const entry = await this.contentEntry(manager, entryId, false);
    const limit = query.limit ?? PAGE_LIMITS.datasetRows.default;
    const items = await this.rows.listRows(manager, entry, query.region ?? null, cursors.key(query.cursor) ?? null, limit);
    const last = items[items.length - 1];
    return pageOf(items, limit, last && cursors.ofKey(last.rowKey));
  }

  /**
   * The entry whose content is asked for: it must exist (404), be a data resource registered at
   * this node (422), and for changes be active (422).
   */
  private async contentEntry(manager: EntityManager, id: string, forChange: boolean, lock = false): Promise<DatasetEntry> {
    const entry = await this.entries.datasetEntry(manager, id, lock);
    if (!entry) throw DomainRefusal.notFound(`no catalog entry ${id} at this node`);
    if (entry.type !== 'data') {
      throw DomainRefusal.refused([
        {
          rule: 'content-for-data-only',
          article: 'Article 11',
          message: `entry ${id} is a${entry.type === 'application' ? 'n' : ''} ${entry.type} resource; only data resources hold dataset content`,
        },
      ]);
    }
    if (entry.origin !== this.config.code) {
      throw DomainRefusal.refused([
        {
          rule: 'content-at-origin',
          article: 'Articles 9 and 11',
          message: `entry ${id} is a replica of ${entry.origin}'s entry; its content is held and changed at its origin ${entry.origin}`,
        },
      ]);
    }
    if (forChange && entry.status !== 'active') {
      throw DomainRefusal.refused([{ rule: 'retired-is-final', article: 'Article 11', message: `entry ${id} is retired; its content no longer changes` }]);
    }
    const reserved = entry.dataItems.filter((item) => RESERVED_NAMES.has(item.name)).map((item) => item.name);
    if (forChange && reserved.length > 0) {
      throw DomainRefusal.refused([
        {
          rule: 'reserved-item-name',
          article: 'Article 11',
          message: `data item${reserved.length > 1 ? 's' : ''} ${reserved.join(', ')} of entry ${id} clash${reserved.length > 1 ? '' : 'es'} with the key columns of an upload (${[...RESERVED_NAMES].join(', ')}); rename ${reserved.length > 1 ? 'them' : 'it'} in a new version of the entry`,
        },
      ]);
    }
    return entry;
  }
}

function duplicateErrors(duplicates: DuplicateKey[]): { errors: LineError[]; more: boolean } {
  return {
    errors: duplicates
      .slice(0, MAX_ERRORS)
      .map((d) => ({ line: d.line, message: `duplicate row key ${JSON.stringify(d.rowKey)}: already given at line ${d.firstLine}` })),
    more: duplicates.length > MAX_ERRORS,
  };
}

/** The reader's errors and the duplicate keys, by line (one entry per line), at most MAX_ERRORS. */
export function mergeErrors(read: LineError[], duplicates: LineError[]): { errors: LineError[]; truncated: boolean } {
  const byLine = new Map<number, string[]>();
  for (const e of [...read, ...duplicates]) byLine.set(e.line, [...(byLine.get(e.line) ?? []), e.message]);
  const errors = [...byLine.entries()].sort(([a], [b]) => a - b).map(([line, messages]) => ({ line, message: messages.join('; ') }));
  return { errors: errors.slice(0, MAX_ERRORS), truncated: errors.length > MAX_ERRORS };
}

function sameItems(a: DatasetEntry['dataItems'], b: DatasetEntry['dataItems']): boolean {
  return a.length === b.length && a.every((item, i) => item.name === b[i].name && item.type === b[i].type);
}
