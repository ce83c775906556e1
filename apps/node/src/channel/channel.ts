import type { EntityManager } from 'typeorm';
import type { ChannelRefusal } from '@tdx/contracts';
import { DomainRefusal } from '../common/domain-refusal';

/** A message another node sent this one, its sender checked against the trust list. */
export interface ChannelCall<B = unknown> {
  /** The sending node, as its signature and the subject both name it. */
  from: string;
  /** The message body, not yet validated: every receiver checks it as hostile input. */
  body: B;
  /** When the sender signed it (ISO 8601). */
  at: string;
}

/** A durable message: its id is unique per sender, and the receiver sees each id once. */
export interface DurableCall<B = unknown> extends ChannelCall<B> {
  id: string;
}

/** A durable message that its receiver refused for good: it is not sent again. */
export interface RefusedDelivery<B = unknown> {
  id: string;
  to: string;
  kind: string;
  body: B;
  refusal: ChannelRefusal;
}

/**
 * The one channel of Article 10: node-to-node messages across the whole federation, signed by the
 * sender and checked against the trust list by the receiver, whatever branches of the tree the two
 * nodes sit on. Two kinds of traffic:
 *
 * - `ask`/`answer`: request and answer, not durable (a query, a search, a page of open data). An
 *   unreachable node is a ChannelUnreachable (HTTP 503 naming the node) after the timeout, never a
 *   hang; a refusal by the far end (a DomainRefusal thrown by its handler) arrives as that same
 *   DomainRefusal, which the HTTP layer answers with its status.
 * - `enqueue`/`receive`: decisions that must not be lost (a request, a decision, a revocation).
 *   Written in the caller's transaction, delivered by a relay until the receiver acknowledges,
 *   across restarts of either node or of NATS; applied by the receiver exactly once. A delivery
 *   the receiver refuses for good (a permanent DomainRefusal) is not retried: `refused` hears of it.
 *
 * A message addressed to this node itself is handled in-process, without NATS.
 * Kinds are dotted names owned by the feature that answers them ("share.request", "search.query").
 */
export abstract class Channel {
  abstract ask<T = unknown>(to: string, kind: string, body: unknown, options?: { timeoutMs?: number }): Promise<T>;
  abstract answer(kind: string, handler: (call: ChannelCall) => Promise<unknown>): void;
  abstract enqueue(manager: EntityManager, to: string, kind: string, body: unknown): Promise<string>;
  abstract receive(kind: string, handler: (manager: EntityManager, call: DurableCall) => Promise<void>): void;
  /** Hears of the durable messages of `kind` that their receiver refused for good, in a transaction that records it. */
  abstract refused(kind: string, handler: (manager: EntityManager, delivery: RefusedDelivery) => Promise<void>): void;
}

/** The node named could not be reached, or did not answer in time: HTTP 503 naming it. */
export class ChannelUnreachable extends DomainRefusal {
  constructor(
    readonly node: string,
    reason: string,
  ) {
    super('unavailable', `node ${node} cannot be reached through the channel: ${reason}`, { details: { node } });
    this.name = 'ChannelUnreachable';
  }
}
