import { Injectable, Logger } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { DatasetRowView, DatasetSummaryView, EntryState } from '@tdx/contracts';
import { maskedDataSql, maskPlanTag, type MaskPlan } from './masking';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { queryReturning } from '../common/returning';
import { copyOut } from '../database/copy';
import { rowData } from './row-values';
import { ChunkSource, chunkCopySql, Jurisdiction, SOURCE_FILTER } from './dataset-changes.sql';

/** What the dataset rules need to know of a catalog entry. */
export type DatasetEntry = Pick<EntryState, 'id' | 'origin' | 'type' | 'status' | 'dataItems'>;

/** What a dataset holds (the API's view, less the entry id the service adds). */
export type DatasetSummary = Omit<DatasetSummaryView, 'entryId'>;

export interface MergeCounts {
  inserted: number;
  updated: number;
  lastChangeSeq: number;
}

/** A duplicate row key of an upload: the line it is repeated on and the line it was first given. */
export interface DuplicateKey {
  line: number;
  rowKey: string;
  firstLine: number;
}

/**
 * All SQL of dataset content. Row changes of one entry are serialised by a row lock on its
 * catalog entry (FOR NO KEY UPDATE, which the foreign key checks of dataset_row do not conflict
 * with): change sequence numbers are drawn only under that lock, so a reader of
 * `change_seq > n` can never see a higher number committed before a lower one of the same
 * dataset. The same lock keeps the entry's data items from changing under a merge.
 */
@Injectable()
export class DatasetRowRepository {
  private readonly logger = new Logger('DatasetRows');

  constructor(
    private readonly dataSource: DataSource,
    private readonly entries: CatalogEntryRepository,
  ) {}

  /** Starts an all-or-nothing load: a transaction with an empty staging table. */
  async openLoad(): Promise<DatasetLoad> {
    const load = new DatasetLoad(this.dataSource.createQueryRunner('master'), this.entries);
    await load.open();
    return load;
  }

  async summary(manager: EntityManager, entryId: string): Promise<DatasetSummary> {
    const [totals] = await manager.query(
      `SELECT count(*) FILTER (WHERE NOT deleted)::bigint AS rows, count(*) FILTER (WHERE deleted)::bigint AS deleted,
              coalesce(max(change_seq), 0) AS last
       FROM dataset_row WHERE entry_id = $1`,
      [entryId],
    );
    const regions: { region_code: string; rows: string }[] = await manager.query(
      `SELECT region_code, count(*) AS rows FROM dataset_row WHERE entry_id = $1 AND NOT deleted GROUP BY region_code ORDER BY region_code`,
      [entryId],
    );
    return {
      rows: Number(totals.rows),
      deletedRows: Number(totals.deleted),
      lastChangeSeq: Number(totals.last),
      regions: regions.map((r) => ({ regionCode: r.region_code, rows: Number(r.rows) })),
    };
  }

  /**
   * Live rows in row key order after `afterKey`, optionally under a region code prefix; one more
   * than `limit` tells if a next page exists. Data is read as jsonb text and given by the items'
   * types (rowData), so numbers keep every digit as loaded.
   */
  async listRows(
    manager: EntityManager,
    entry: Pick<DatasetEntry, 'id' | 'dataItems'>,
    regionPrefix: string | null,
    afterKey: string | null,
    limit: number,
  ): Promise<DatasetRowView[]> {
    const rows: { row_key: string; region_code: string; data: string; change_seq: string }[] = await manager.query(
      `SELECT row_key, region_code, data::text AS data, change_seq FROM dataset_row
       WHERE entry_id = $1 AND NOT deleted
         AND ($2::text IS NULL OR region_code LIKE $2 || '%')
         AND ($3::text IS NULL OR row_key > $3)
       ORDER BY row_key LIMIT $4`,
      [entry.id, regionPrefix, afterKey, limit],
    );
    return rows.map((r) => ({
      rowKey: r.row_key,
      regionCode: r.region_code,
      data: rowData(r.data, entry.dataItems) ?? {},
      changeSeq: Number(r.change_seq),
    }));
  }

  /**
   * Live rows served through a share grant (Article 10): inside the region prefixes, matching the
   * equality filters (item -> value, compared as the item's JSON text), in row key order after
   * `afterKey`, masked by the entry's plan exactly as a return chunk is (the copy kept at rest when
   * it was masked under the current plan, else masked here), only the `fields` asked.
   */
  async sharedRows(
    manager: EntityManager,
    entry: Pick<DatasetEntry, 'id' | 'dataItems'>,
    q: { mask: MaskPlan; regionPrefixes: string[]; filters: [string, string][]; fields: string[]; afterKey: string | null; limit: number },
  ): Promise<{ rowKey: string; regionCode: string; data: Record<string, unknown> }[]> {
    const tag = maskPlanTag(q.mask);
    // The tag is 16 hex digits of this node's own hash (maskPlanTag), written in as chunkCopySql does.
    const data = tag === null ? 'data' : `CASE WHEN masked_under = '${tag}' THEN masked ELSE ${maskedDataSql(q.mask)} END`;
    const params: unknown[] = [entry.id, q.regionPrefixes.map((p) => `${p}%`), q.afterKey, q.limit];
    const filters = q.filters.map(([item, value]) => {
      params.push(item, value);
      return `AND data ->> $${params.length - 1}::text = $${params.length}::text`;
    });
    const rows: { row_key: string; region_code: string; data: string }[] = await manager.query(
      `SELECT row_key, region_code, (${data})::text AS data FROM dataset_row
       WHERE entry_id = $1 AND NOT deleted AND region_code LIKE ANY($2::text[])
         AND ($3::text IS NULL OR row_key > $3) ${filters.join(' ')}
       ORDER BY row_key LIMIT $4`,
      params,
    );
    return rows.map((r) => {
      const all = rowData(r.data, entry.dataItems) ?? {};
      return { rowKey: r.row_key, regionCode: r.region_code, data: Object.fromEntries(q.fields.map((f) => [f, all[f] ?? null])) };
    });
  }

  /**
   * Live rows in row key order after `afterKey`, their sensitive items masked under `mask` as a
   * return masks them: the copy masked at rest when it was masked under this plan, else masked
   * here in SQL. The unmasked data never leaves the database.
   */
  async listMaskedRows(
    manager: EntityManager,
    entry: Pick<DatasetEntry, 'id' | 'dataItems'>,
    mask: MaskPlan,
    afterKey: string | null,
    limit: number,
  ): Promise<{ rowKey: string; regionCode: string; data: Record<string, unknown> }[]> {
    const tag = maskPlanTag(mask);
    const data = tag === null ? 'data' : `CASE WHEN masked_under = $4 THEN masked ELSE ${maskedDataSql(mask)} END`;
    const rows: { row_key: string; region_code: string; data: string }[] = await manager.query(
      `SELECT row_key, region_code, (${data})::text AS data FROM dataset_row
       WHERE entry_id = $1 AND NOT deleted AND ($2::text IS NULL OR row_key > $2)
       ORDER BY row_key LIMIT $3`,
      tag === null ? [entry.id, afterKey, limit] : [entry.id, afterKey, limit, tag],
    );
    return rows.map((r) => ({ rowKey: r.row_key, regionCode: r.region_code, data: rowData(r.data, entry.dataItems) ?? {} }));
  }

  /** Tombstones the live rows of `rowKeys`; returns the keys that had one. Call under the entry lock. */
  async tombstone(manager: EntityManager, entryId: string, rowKeys: string[]): Promise<string[]> {
    const rows = await queryReturning<{ row_key: string }>(
      manager,
      `UPDATE dataset_row SET deleted = true, data = NULL, masked = NULL, masked_under = NULL, change_seq = nextval('dataset_change_seq'), updated_at = now()
       WHERE entry_id = $1 AND row_key = ANY($2::text[]) AND NOT deleted
       RETURNING row_key`,
      [entryId, rowKeys],
    );
    return rows.map((r) => r.row_key);
  }

  /**
   * VACUUM (ANALYZE) after a big load: fresh statistics for the planner, and pages marked
   * all-visible so return plans read the index only. A failure only leaves it to autovacuum.
   */
  async refreshStatistics(): Promise<void> {
    await this.dataSource.query('VACUUM (ANALYZE) dataset_row').catch((error: Error) => this.logger.warn(`VACUUM dataset_row failed: ${error.message}`));
  }

  async lastChangeSeq(manager: EntityManager, entryId: string): Promise<number> {
    const [row] = await manager.query(`SELECT coalesce(max(change_seq), 0) AS last FROM dataset_row WHERE entry_id = $1`, [entryId]);
    return Number(row.last);
  }

  // --- for the quality checks: values read as text, never handed out ---

  /**
   * Live rows in row key order after `afterKey`, each with the text of `items` (`data->>item`,
   * null when absent or JSON null): one page of the quality check's keyset scan over the primary
   * key, so its memory is one page whatever the dataset's size.
   */
  async itemValues(
    manager: EntityManager,
    entryId: string,
    items: string[],
    afterKey: string | null,
    limit: number,
  ): Promise<{ rowKey: string; values: (string | null)[] }[]> {
    const columns = items.map((_, i) => `, data->>$${i + 4}::text AS c${i}`).join('');
    const rows: Record<string, string | null>[] = await manager.query(
      `SELECT row_key${columns} FROM dataset_row
       WHERE entry_id = $1 AND NOT deleted AND ($2::text IS NULL OR row_key > $2)
       ORDER BY row_key LIMIT $3`,
      [entryId, afterKey, limit, ...items],
    );
    return rows.map((r) => ({ rowKey: r.row_key as string, values: items.map((_, i) => r[`c${i}`]) }));
  }

  /**
   * Of the live rows with a value of `item` (not blank): how many there are, how many repeat a
   * value an earlier row (by row key) has, and the keys of the first repeats. PostgreSQL sorts
   * the values (spilling to disk past work_mem), so the node's memory does not grow with them.
   */
  async repeatedValues(
    manager: EntityManager,
    entryId: string,
    item: string,
    sampleLimit: number,
  ): Promise<{ values: number; repeats: number; sample: string[] }> {
    const values = `SELECT row_key, data->>$2::text AS v FROM dataset_row WHERE entry_id = $1 AND NOT deleted AND btrim(coalesce(data->>$2::text, '')) <> ''`;
    const [counts] = await manager.query(`SELECT count(*)::bigint AS n, (count(*) - count(DISTINCT v))::bigint AS repeats FROM (${values}) s`, [entryId, item]);
    const sample: { row_key: string }[] =
      Number(counts.repeats) === 0
        ? []
        : await manager.query(
            `SELECT row_key FROM (SELECT row_key, row_number() OVER (PARTITION BY v ORDER BY row_key) AS nth FROM (${values}) s) r
             WHERE nth > 1 ORDER BY row_key LIMIT $3`,
            [entryId, item, sampleLimit],
          );
    return { values: Number(counts.n), repeats: Number(counts.repeats), sample: sample.map((r) => r.row_key) };
  }

  /** When the dataset was last written (a load or a deletion), or null when it never was. */
  async lastWrite(manager: EntityManager, entryId: string): Promise<Date | null> {
    const [row] = await manager.query(`SELECT max(updated_at) AS last FROM dataset_row WHERE entry_id = $1`, [entryId]);
    return row.last ? new Date(row.last) : null;
  }

  // --- for the return of data: a jurisdiction's changes in ranges of change sequence ---

  /**
   * Splits the changes in (after, head] inside the jurisdiction into ranges of change sequence of
   * `rowsPerRange` rows each (the last may hold fewer), so a receiver can pull several ranges at
   * once. Reads the region index only (change_seq and deleted are in it). Returns each range's
   * upper bound, and the number of rows in all.
   */
  async planSource(
    manager: EntityManager,
    entryId: string,
    j: Jurisdiction,
    after: number,
    tombstonesAfter: number,
    head: number,
    rowsPerRange: number,
  ): Promise<{ bounds: number[]; total: number }> {
    // Moves out of the jurisdiction count too (they go as deletions; one back inside is counted though not sent).
    const rows: { upto: string; n: string }[] = await manager.query(
      `SELECT change_seq AS upto, n FROM (
         SELECT change_seq, row_number() OVER (ORDER BY change_seq) AS n, count(*) OVER () AS total FROM (
           SELECT change_seq FROM dataset_row WHERE ${SOURCE_FILTER} AND change_seq <= $6
           UNION ALL
           SELECT change_seq FROM dataset_region_move WHERE entry_id = $1 AND change_seq > $2 AND change_seq <= $6 AND change_seq > $5
             AND ($3::text IS NULL OR from_region = $3) AND ($4::text IS NULL OR from_region LIKE $4 || '%')
         ) changes
       ) f WHERE n % $7 = 0 OR n = total ORDER BY change_seq`,
      [entryId, after, j.exact ?? null, j.prefix ?? null, tombstonesAfter, head, rowsPerRange],
    );
    return { bounds: rows.map((r) => Number(r.upto)), total: rows.length === 0 ? 0 : Number(rows[rows.length - 1].n) };
  }

  /** Average stored size of a row's data, from the latest changes: how many rows fit a chunk. */
  async averageRowBytes(manager: EntityManager, entryId: string): Promise<number> {
    const [row] = await manager.query(
      `SELECT coalesce(avg(pg_column_size(data)), 0)::float8 AS bytes FROM
         (SELECT data FROM dataset_row WHERE entry_id = $1 ORDER BY change_seq DESC LIMIT 200) latest`,
      [entryId],
    );
    return Number(row.bytes);
  }

  /**
   * The changes in (after, upto] inside the jurisdiction, in change order, at most `limit`, as
   * COPY text (columns of RETURN_CHUNK_COLUMNS), the sensitive items masked by the database
   * (see chunkCopySql): the node only hands the bytes on.
   */
  async copyRange(client: PoolClient, source: ChunkSource): Promise<Buffer> {
    return copyOut(client, chunkCopySql(source));
  }
}

/**
 * One upload in one transaction on a connection of its own. The connection comes from the
 * node's TypeORM pool through a QueryRunner (`connect()` hands out the underlying pg
 * PoolClient, kept until `release()`), so it counts against the node's pool and its
 * transaction statements go through TypeORM, while COPY runs on the raw client: TypeORM has
 * no COPY, and pg-copy-streams needs the client itself.
 */
export class DatasetLoad {
  private client!: PoolClient;
  private finished = false;

  constructor(
    private readonly runner: QueryRunner,
    private readonly entries: CatalogEntryRepository,
  ) {}

  async open(): Promise<void> {
    this.client = (await this.runner.connect()) as PoolClient;
    await this.runner.startTransaction();
    // Dropped at the end of the transaction, committed or not; temporary, so never WAL-logged.
    await this.runner.query(
      `CREATE TEMP TABLE dataset_stage (line bigint NOT NULL, row_key text NOT NULL, region_code text NOT NULL, data jsonb NOT NULL) ON COMMIT DROP`,
    );
  }

  /** Copies a spool file of checked rows (COPY text: line, key, region, data) into the staging table. */
  async copyFile(path: string): Promise<void> {
    await this.copyInto('dataset_stage', path);
  }

  /**
   * The repeated row keys of the spool file of an upload that will be refused (its rows after the
   * first error carry their key only), so that they are reported with its other errors. The rows
   * go to a table of their own, never merged; the caller abandons the load.
   */
  async duplicatesInFile(path: string, limit: number): Promise<DuplicateKey[]> {
    await this.runner.query(`CREATE TEMP TABLE dataset_keys (line bigint NOT NULL, row_key text NOT NULL, region_code text, data text) ON COMMIT DROP`);
    await this.copyInto('dataset_keys', path);
    return this.repeatedKeys('dataset_keys', limit);
  }

  private async copyInto(table: 'dataset_stage' | 'dataset_keys', path: string): Promise<void> {
    // Large reads: the file is local, and fewer, bigger CopyData messages cost the server less.
    await pipeline(
      createReadStream(path, { highWaterMark: 1024 * 1024 }),
      this.client.query(copyFrom(`COPY ${table} (line, row_key, region_code, data) FROM STDIN`)),
    );
  }

  /**
   * Merges the staged rows into dataset_row: new keys are inserted, keys whose region or data
   * differ (or that were tombstones) are updated, each with a new change_seq; identical rows are
   * left as they are, keeping their change_seq. A key staged twice makes PostgreSQL refuse the
   * statement (ON CONFLICT cannot touch a row twice); that is reported as `duplicates`, after
   * rolling back to a savepoint so the transaction stays usable to find them.
   */
  async merge(entryId: string, mask: MaskPlan): Promise<MergeCounts | 'duplicates'> {
    // Each row's masked copy is made as it is written, once (migration MaskedAtRest).
    const tag = maskPlanTag(mask);
    await this.runner.query('SAVEPOINT merge');
    try {
      // Other parts of the statement see dataset_row as it was before it: `old` is the previous state.
      const [row] = await this.runner.query(
        `WITH merged AS (
           INSERT INTO dataset_row AS d (entry_id, row_key, region_code, data, masked, masked_under, deleted, change_seq, updated_at)
           SELECT $1, row_key, region_code, data, ${tag === null ? 'NULL' : maskedDataSql(mask)}, $2, false, nextval('dataset_change_seq'), now()
           FROM dataset_stage
           ON CONFLICT (entry_id, row_key) DO UPDATE
             SET region_code = EXCLUDED.region_code, data = EXCLUDED.data, masked = EXCLUDED.masked, masked_under = EXCLUDED.masked_under, deleted = false,
                 change_seq = EXCLUDED.change_seq, updated_at = EXCLUDED.updated_at
             -- A copy masked under another plan (the grade changed) is a change too: receivers hold the old mask.
             WHERE d.deleted OR d.region_code <> EXCLUDED.region_code OR d.data IS DISTINCT FROM EXCLUDED.data
               OR d.masked_under IS DISTINCT FROM EXCLUDED.masked_under
           RETURNING row_key, (xmax = 0) AS fresh
         )
         SELECT count(*) FILTER (WHERE merged.fresh OR old.deleted) AS inserted,
                count(*) FILTER (WHERE NOT merged.fresh AND NOT old.deleted) AS updated
         FROM merged LEFT JOIN dataset_row old ON NOT merged.fresh AND old.entry_id = $1 AND old.row_key = merged.row_key`,
        [entryId, tag],
      );
      await this.runner.query('RELEASE SAVEPOINT merge');
      const [last] = await this.runner.query(`SELECT coalesce(max(change_seq), 0) AS last FROM dataset_row WHERE entry_id = $1`, [entryId]);
      return { inserted: Number(row.inserted), updated: Number(row.updated), lastChangeSeq: Number(last.last) };
    } catch (error) {
      if ((error as { code?: string }).code !== '21000') throw error;
      await this.runner.query('ROLLBACK TO SAVEPOINT merge');
      return 'duplicates';
    }
  }

  /** The repeated row keys of the staged upload, by the line they are repeated on. */
  async duplicates(limit: number): Promise<DuplicateKey[]> {
    return this.repeatedKeys('dataset_stage', limit);
  }

  private async repeatedKeys(table: 'dataset_stage' | 'dataset_keys', limit: number): Promise<DuplicateKey[]> {
    const rows: { line: string; row_key: string; first_line: string }[] = await this.runner.query(
      `SELECT line, row_key, first_line FROM (
         SELECT line, row_key, min(line) OVER (PARTITION BY row_key) AS first_line FROM ${table}
       ) s WHERE line > first_line ORDER BY line LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ line: Number(r.line), rowKey: r.row_key, firstLine: Number(r.first_line) }));
  }

  /** The entry, locked for the merge: see DatasetRowRepository. */
  async lockEntry(entryId: string): Promise<Pick<EntryState, 'status' | 'dataItems' | 'grade'> | undefined> {
    return this.entries.datasetEntry(this.runner.manager, entryId, true);
  }

  async commit(): Promise<void> {
    await this.runner.commitTransaction();
    this.finished = true;
    await this.runner.release();
  }

  /** Abandons the load: rolls back and gives the connection back. */
  async abandon(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      if (this.runner.isTransactionActive) await this.runner.rollbackTransaction();
      await this.runner.release();
    } catch (error) {
      // The connection's state is unknown: have the pool close it rather than hand it out again.
      // QueryRunner.release() takes no error, and this method is how TypeORM itself does it.
      const runner = this.runner as unknown as { releasePostgresConnection(error: unknown): Promise<void> };
      await runner.releasePostgresConnection(error).catch(() => undefined);
    }
  }
}
