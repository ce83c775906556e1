import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { DataItemType } from '@tdx/contracts';
import { rowData } from '../datasets/row-values';

/** Table returned_row, as the API reads it (ReturnedRowsWriter writes it, by COPY, as chunks arrive). */
@Injectable()
export class ReturnedRowRepository {
  /** `items`: the entry's data items, by whose types values are given exactly as the holder loaded them (rowData). */
  async listRows(
    manager: EntityManager,
    requestId: string,
    items: readonly { name: string; type: DataItemType }[],
    region: string | undefined,
    afterKey: string | undefined,
    limit: number,
  ) {
    const rows: { rowKey: string; regionCode: string; data: string; sourceSeq: string }[] = await manager.query(
      `SELECT row_key AS "rowKey", region_code AS "regionCode", data::text AS data, source_seq AS "sourceSeq" FROM returned_row
       WHERE request_id = $1 AND ($2::text IS NULL OR region_code LIKE $2 || '%') AND ($3::text IS NULL OR row_key > $3)
       ORDER BY row_key LIMIT $4`,
      [requestId, region ?? null, afterKey ?? null, limit],
    );
    return rows.map((r) => ({ ...r, data: rowData(r.data, items) ?? {}, sourceSeq: Number(r.sourceSeq) }));
  }

  /** Removes what a request brought (its grant was revoked); the number of rows removed. */
  async removeAll(manager: EntityManager, requestId: string): Promise<number> {
    const [row] = await manager.query(`WITH gone AS (DELETE FROM returned_row WHERE request_id = $1 RETURNING 1) SELECT count(*)::bigint AS n FROM gone`, [
      requestId,
    ]);
    return Number(row.n);
  }

  async count(manager: EntityManager, requestId: string): Promise<number> {
    const [row] = await manager.query(`SELECT count(*)::bigint AS n FROM returned_row WHERE request_id = $1`, [requestId]);
    return Number(row.n);
  }
}
