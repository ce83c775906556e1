/**
 * NATS names. Each hop has its own subjects, so a stream never captures a subject that also
 * crosses a leaf link to another stream: it would store every message twice (docs/protocol.md,
 * "Names"). Everything sits under a namespace (`NATS_NAMESPACE`, default `tdx`) so that separate
 * federations (production, staging, a test run) can share one NATS server without seeing each other.
 */
export const DEFAULT_NAMESPACE = 'tdx';
export const NAMESPACE_PATTERN = /^[a-z][a-z0-9]{0,15}$/;

export function subjectsFor(namespace: string = DEFAULT_NAMESPACE) {
  const stream = namespace.toUpperCase();
  return {
    /** A child publishes its upward records here; the parent's stream stores them. */
    up: (parent: string, sender: string) => `${namespace}.up.${parent}.${sender}`,
    /** Everything a parent's stream stores. */
    upWildcard: (parent: string) => `${namespace}.up.${parent}.*`,
    /**
     * Core NATS request/reply: a child asks its parent to record it. The last token names the
     * sender, so NATS permissions let a node send only as itself; the parent refuses a join
     * signed by anyone else.
     */
    join: (parent: string, child: string) => `${namespace}.join.${parent}.${child}`,
    /** What a parent answers: joins from any of its children. */
    joinWildcard: (parent: string) => `${namespace}.join.${parent}.*`,
    /** Core NATS: a child's signed heartbeat to its parent; the last token names the sender. */
    heartbeat: (parent: string, sender: string) => `${namespace}.heartbeat.${parent}.${sender}`,
    /** What a parent listens to: heartbeats from any of its children. */
    heartbeatWildcard: (parent: string) => `${namespace}.heartbeat.${parent}.*`,
    /** Core NATS request/reply: return requests and chunk pulls addressed to a holding ancestor, sent as `requester`. */
    return: (holder: string, requester: string) => `${namespace}.return.${holder}.${requester}`,
    /** What a holder answers: return messages from any node below it. */
    returnWildcard: (holder: string) => `${namespace}.return.${holder}.*`,
    /**
     * Replies to this node's requests (joins, returns, JetStream acks and pulled messages) arrive
     * under its own inbox prefix (the client's `inboxPrefix`), so a node may subscribe only to
     * its own replies: `<prefix>.>`.
     */
    inboxPrefix: (node: string) => `_INBOX_${namespace}_${node}`,
    /**
     * Core NATS: the one channel of Article 10, from any node to any other. A node publishes only
     * on `channel.<to>.<itself>` and reads only `channel.<itself>.*`; an answer travels the same
     * way back (no reply inbox crosses the tree). The last token names the sender.
     */
    channel: (to: string, sender: string) => `${namespace}.channel.${to}.${sender}`,
    /** What a node reads: channel messages to it from any node. */
    channelWildcard: (node: string) => `${namespace}.channel.${node}.*`,
    /** Core NATS request/reply: a node hands out its copy of the signed trust list. */
    trust: (node: string) => `${namespace}.trust.${node}`,
    /** Core NATS: a node announces that it holds a newer trust list; its children then fetch it. */
    trustUpdated: (node: string) => `${namespace}.trust.updated.${node}`,
    /**
     * The queue group in which the replicas of one node take requests (joins, returns, trust-list
     * requests, heartbeats): NATS hands each message to one of them, not to all.
     */
    replicaGroup: (node: string) => `${namespace}_${node}`,
    /** The parent's inbound stream of upward records from all its children. */
    upStream: (parent: string) => `${stream}_UP_${parent}`,
    /** One durable consumer per child link, so one slow child never holds up its siblings. */
    childConsumer: (child: string) => `child_${child}`,
  } as const;
}

export type NatsNames = ReturnType<typeof subjectsFor>;

/** The node a request subject names as its sender (its last token): see `join` and `return`. */
export function senderOfSubject(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}
