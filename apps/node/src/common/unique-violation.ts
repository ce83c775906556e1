/**
 * True when `error` is PostgreSQL's unique_violation (23505) on the index `constraint`: what a
 * check-then-insert loses to a concurrent insert of the same key, answered as 409, not 500.
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const driverError = (error as { driverError?: { code?: unknown; constraint?: unknown } } | null)?.driverError ?? error;
  const { code, constraint: violated } = (driverError ?? {}) as { code?: unknown; constraint?: unknown };
  return code === '23505' && violated === constraint;
}
