/** What runs SQL: an EntityManager or a QueryRunner. */
export interface Queryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeORM's raw query answer
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/**
 * Runs a statement with `RETURNING` and answers the returned rows, whatever its command. TypeORM's
 * PostgreSQL driver answers an UPDATE or DELETE with `[rows, affected count]` and every other
 * statement with the rows alone; a row is never an array, so the two shapes cannot be confused.
 * Every statement with RETURNING goes through here, so no caller needs to know which shape it gets.
 */
export async function queryReturning<T>(runner: Queryable, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const result: unknown = await runner.query(sql, parameters);
  const withCount = Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number';
  return (withCount ? result[0] : result) as T[];
}
