import { api } from './api';
import type { TestDatabase } from './databases';
import { eventually } from './eventually';

/** Helpers for return tests: source rows written straight into a holder's dataset, and waiting for jobs. */

export interface SourceRow {
  key: string;
  region: string;
  data: Record<string, unknown>;
}

/** Upserts rows into the holder's dataset_row, each change taking a new change_seq, as the dataset upload does. */
export async function writeSourceRows(db: TestDatabase, entryId: string, rows: SourceRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    await db.query(
      `INSERT INTO dataset_row (entry_id, row_key, region_code, data, deleted, change_seq)
       SELECT $1, r.key, r.region, r.data, false, nextval('dataset_change_seq')
       FROM jsonb_to_recordset($2::jsonb) AS r(key text, region text, data jsonb)
       ON CONFLICT (entry_id, row_key) DO UPDATE SET region_code = EXCLUDED.region_code, data = EXCLUDED.data, deleted = false,
         change_seq = EXCLUDED.change_seq, updated_at = now()`,
      [entryId, JSON.stringify(rows.slice(i, i + 5000))]);
  }
}

/** The live rows of a jurisdiction at the holder, by an SQL query of the test's own. */
export async function sourceRowsIn(db: TestDatabase, entryId: string, where: string): Promise<Map<string, { region: string; data: Record<string, unknown> }>> {
  const rows = await db.query<{ row_key: string; region_code: string; data: Record<string, unknown> }>(
    `SELECT row_key, region_code, data FROM dataset_row WHERE entry_id = $1 AND NOT deleted AND (${where}) ORDER BY row_key`, [entryId]);
  return new Map(rows.map((r) => [r.row_key, { region: r.region_code, data: r.data }]));
}

/** What a receiver holds for a request, read from its database. */
export async function returnedRows(db: TestDatabase, requestId: string): Promise<Map<string, { region: string; data: Record<string, unknown> }>> {
  const rows = await db.query<{ row_key: string; region_code: string; data: Record<string, unknown> }>(
    `SELECT row_key, region_code, data FROM returned_row WHERE request_id = $1 ORDER BY row_key`, [requestId]);
  return new Map(rows.map((r) => [r.row_key, { region: r.region_code, data: r.data }]));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- job bodies are read loosely and asserted on
export async function waitForJob(url: string, requestId: string, count = 1, timeoutMs = 60_000): Promise<any[]> {
  return eventually(async () => {
    const response = await api(url, 'GET', `/api/v1/returns/jobs?requestId=${requestId}`);
    expect(response.status).toBe(200);
    const done = response.body.items.filter((j: { state: string }) => j.state === 'done');
    expect(done.length).toBeGreaterThanOrEqual(count);
    expect(response.body.items.filter((j: { state: string }) => j.state === 'queued' || j.state === 'running')).toEqual([]);
    return response.body.items;
  }, timeoutMs, 200);
}
