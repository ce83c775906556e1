import type { LinkHealth } from '@tdx/contracts';
/**
 * How a child link looks to an on-call operator (docs/operator-guide.md, "Federation health"): a
 * child is seen when its signed heartbeat arrives or the stream stores one of its records. Silent
 * for more than STALE_AFTER_INTERVALS heartbeat intervals it is stale (a missed beat or two is a
 * restart or a network blip, three is not); for more than DOWN_AFTER_INTERVALS, or never seen, down.
 */
export { LINK_HEALTH_STATES, type LinkHealth } from '@tdx/contracts';

export const STALE_AFTER_INTERVALS = 3;
export const DOWN_AFTER_INTERVALS = 12;

export interface LinkFacts {
  /** known_node status: approved, revoked; or pending for a join waiting for an operator here. */
  status: string;
  lastSeenAt: string | null;
  /** The heartbeat interval the child last said it runs with, else this node's own. */
  intervalSeconds: number;
}

export function linkHealth(link: LinkFacts, now = Date.now()): LinkHealth {
  if (link.status === 'pending') return 'pending-approval';
  if (link.status !== 'approved') return 'revoked';
  if (link.lastSeenAt === null) return 'down';
  const silentSeconds = (now - Date.parse(link.lastSeenAt)) / 1000;
  if (silentSeconds > DOWN_AFTER_INTERVALS * link.intervalSeconds) return 'down';
  if (silentSeconds > STALE_AFTER_INTERVALS * link.intervalSeconds) return 'stale';
  return 'healthy';
}
