import { api, eventually, type TestDatabase } from '@tdx/testing';
import type { Grade } from '@tdx/contracts';
import { maskedDataSql, maskPlan, maskPlanTag } from '../../src/datasets/masking';

/** Helpers for return tests: source rows written straight into a holder's dataset, and waiting for jobs. */

export interface SourceRow {
  key: string;
  region: string;
  data: Record<string, unknown>;
}

/**
 * Upserts rows into the holder's dataset_row as a dataset upload does (the path real data takes):
 * each change takes a new change_seq, and each row's masked copy is written beside it under the
 * entry's current plan (grade and sensitive items), which a return then serves as it is.
 */
export async function writeSourceRows(db: TestDatabase, entryId: string, rows: SourceRow[]): Promise<void> {
  await upsertRows(db, entryId, rows, await atRestPlan(db, entryId));
}

/** Writes the masked copy of every live row of `entryId` under the entry's current plan, as the upload that wrote them would have. */
export async function maskRowsAtRest(db: TestDatabase, entryId: string): Promise<void> {
  const atRest = await atRestPlan(db, entryId);
  await db.query(`UPDATE dataset_row SET masked = ${atRest.masked}, masked_under = $2 WHERE entry_id = $1 AND NOT deleted`, [entryId, atRest.tag]);
}

/** The SQL of a row's masked copy under the entry's current plan (grade, sensitive items), and the plan's tag; NULL and null with nothing sensitive. */
async function atRestPlan(db: TestDatabase, entryId: string): Promise<{ masked: string; tag: string | null }> {
  const [entry] = await db.query<{ grade: Grade; data_items: { name: string; sensitive: boolean }[] }>(
    `SELECT grade, data_items FROM catalog_entry WHERE id = $1`,
    [entryId],
  );
  if (!entry) throw new Error(`the holder has no entry ${entryId}`);
  const plan = maskPlan(entry.grade, entry.data_items);
  const tag = maskPlanTag(plan);
  return tag === null ? { masked: 'NULL', tag: null } : { masked: maskedDataSql(plan), tag };
}

/**
 * The same rows without a masked copy at rest, as rows written before masking at rest was kept, or
 * whose copy no longer matches the entry's plan: the holder must mask them as it sends them.
 */
export async function writeSourceRowsUnmaskedAtRest(db: TestDatabase, entryId: string, rows: SourceRow[]): Promise<void> {
  await upsertRows(db, entryId, rows, { masked: 'NULL', tag: null });
}

async function upsertRows(db: TestDatabase, entryId: string, rows: SourceRow[], atRest: { masked: string; tag: string | null }): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    await db.query(
      `INSERT INTO dataset_row (entry_id, row_key, region_code, data, masked, masked_under, deleted, change_seq)
       SELECT $1, key, region, data, ${atRest.masked}, $3, false, nextval('dataset_change_seq')
       FROM jsonb_to_recordset($2::jsonb) AS r(key text, region text, data jsonb)
       ON CONFLICT (entry_id, row_key) DO UPDATE SET region_code = EXCLUDED.region_code, data = EXCLUDED.data, masked = EXCLUDED.masked,
         masked_under = EXCLUDED.masked_under, deleted = false, change_seq = EXCLUDED.change_seq, updated_at = now()`,
      [entryId, JSON.stringify(rows.slice(i, i + 5000)), atRest.tag],
    );
  }
}

/** The live rows of a jurisdiction at the holder, by an SQL query of the test's own. */
export async function sourceRowsIn(db: TestDatabase, entryId: string, where: string): Promise<Map<string, { region: string; data: Record<string, unknown> }>> {
  const rows = await db.query<{ row_key: string; region_code: string; data: Record<string, unknown> }>(
    `SELECT row_key, region_code, data FROM dataset_row WHERE entry_id = $1 AND NOT deleted AND (${where}) ORDER BY row_key`,
    [entryId],
  );
  return new Map(rows.map((r) => [r.row_key, { region: r.region_code, data: r.data }]));
}

/** What a receiver holds for a request, read from its database. */
export async function returnedRows(db: TestDatabase, requestId: string): Promise<Map<string, { region: string; data: Record<string, unknown> }>> {
  const rows = await db.query<{ row_key: string; region_code: string; data: Record<string, unknown> }>(
    `SELECT row_key, region_code, data FROM returned_row WHERE request_id = $1 ORDER BY row_key`,
    [requestId],
  );
  return new Map(rows.map((r) => [r.row_key, { region: r.region_code, data: r.data }]));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- job bodies are read loosely and asserted on
export async function waitForJob(url: string, requestId: string, count = 1, timeoutMs = 60_000): Promise<any[]> {
  return eventually(
    async () => {
      const response = await api(url, 'GET', `/api/v1/returns/jobs?requestId=${requestId}`);
      expect(response.status).toBe(200);
      const done = response.body.items.filter((j: { state: string }) => j.state === 'done');
      expect(done.length).toBeGreaterThanOrEqual(count);
      expect(response.body.items.filter((j: { state: string }) => j.state === 'queued' || j.state === 'running')).toEqual([]);
      return response.body.items;
    },
    timeoutMs,
    200,
  );
}
