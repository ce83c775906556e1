import { api, type TestDatabase } from '@tdx/testing';

export type Body = Record<string, unknown>;

export interface FieldProblem {
  field: string;
  row?: number;
  messages: string[];
}

/** Full contents of every table a write could touch, and the code sequence. */
export async function snapshotTables(db: TestDatabase) {
  return {
    entries: await db.query('SELECT * FROM catalog_entry ORDER BY id'),
    institutions: await db.query('SELECT * FROM institution ORDER BY id'),
    outbox: await db.query('SELECT * FROM outbox ORDER BY seq'),
    codeSeq: await db.query('SELECT last_value, is_called FROM entry_code_seq'),
  };
}

/** Sends a request that must be refused with `status`, and checks that nothing changed in `db`. */
export async function expectRefused(db: TestDatabase, base: string, status: number, method: string, path: string, body?: unknown): Promise<Body> {
  const before = await snapshotTables(db);
  const response = await api(base, method, path, body);
  expect({ status: response.status, body: response.body }).toMatchObject({ status });
  expect(await snapshotTables(db)).toEqual(before);
  return response.body;
}

/** The fields named by a 400, sorted, each with at least one message. */
export function fieldsOf(body: Body): string[] {
  const fields = body.fields as FieldProblem[];
  expect(Array.isArray(fields)).toBe(true);
  for (const f of fields) expect(f.messages.length).toBeGreaterThan(0);
  return [...new Set(fields.map((f) => f.field))].sort();
}
