/**
 * Fails unless `items` holds at least one item and every item passes `test`. `.every` alone passes
 * on an empty list, so a filter that matched nothing would prove nothing; the failure names `what`
 * and the first items that do not pass.
 */
export function assertEvery<T>(items: readonly T[], test: (item: T) => boolean, what: string): void {
  if (items.length === 0) throw new Error(`expected at least one ${what}, got none`);
  const failing = items.filter((item) => !test(item));
  if (failing.length > 0) {
    throw new Error(`${failing.length} of ${items.length} ${what} do not pass, for example: ${JSON.stringify(failing.slice(0, 3))}`);
  }
}
