/**
 * A failure the kit explains in its message (a wait that ran out, a node that exited, an answer
 * nobody expected): a script prints the message alone, without a stack.
 */
export class KitError extends Error {
  override name = 'KitError';
}
