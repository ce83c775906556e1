/**
 * NATS names. Each hop has its own subjects, so a stream never captures a subject that also
 * crosses a leaf link to another stream (DESIGN.md §7). Everything sits under a namespace
 * (`NATS_NAMESPACE`, default `tdx`) so that separate federations (production, staging, a test
 * run) can share one NATS server without seeing each other.
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
    /** Core NATS request/reply: a child asks its parent to record it. */
    join: (parent: string) => `${namespace}.join.${parent}`,
    /** Core NATS request/reply: return requests and chunk pulls addressed to a holding ancestor (issue 3). */
    return: (holder: string) => `${namespace}.return.${holder}`,
    /** Core NATS request/reply: a node hands out its copy of the signed trust list (issue 4). */
    trust: (node: string) => `${namespace}.trust.${node}`,
    /** Core NATS: a node announces that it holds a newer trust list; its children then fetch it. */
    trustUpdated: (node: string) => `${namespace}.trust.updated.${node}`,
    /** The parent's inbound stream of upward records from all its children. */
    upStream: (parent: string) => `${stream}_UP_${parent}`,
    /** One durable consumer per child link, so one slow child never holds up its siblings. */
    childConsumer: (child: string) => `child_${child}`,
  } as const;
}

export type NatsNames = ReturnType<typeof subjectsFor>;
