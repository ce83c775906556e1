/** TypeORM answers an UPDATE ... RETURNING with [rows, affected count], other statements with the rows: the rows. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw query results
export function rowsOf(result: any): any[] {
  return Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number' ? result[0] : result;
}
