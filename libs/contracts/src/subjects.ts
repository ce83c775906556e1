/**
 * NATS names. Each hop has its own subjects, so a stream never captures a subject that also
 * crosses a leaf link to another stream (DESIGN.md §7).
 */
export const Subjects = {
  /** A child publishes its upward records here; the parent's stream stores them. */
  up: (parent: string, sender: string) => `tdx.up.${parent}.${sender}`,
  /** Everything a parent's stream stores. */
  upWildcard: (parent: string) => `tdx.up.${parent}.*`,
  /** Core NATS request/reply: a child asks its parent to record it. */
  join: (parent: string) => `tdx.join.${parent}`,
} as const;

export const Streams = {
  /** The parent's inbound stream of upward records from all its children. */
  up: (parent: string) => `TDX_UP_${parent}`,
  /** One durable consumer per child link, so one slow child never holds up its siblings. */
  childConsumer: (child: string) => `child_${child}`,
} as const;

/** The sender is the last token of an upward subject. */
export function senderOfUpSubject(subject: string): string | undefined {
  const match = /^tdx\.up\.(\d{6})\.(\d{6})$/.exec(subject);
  return match ? match[2] : undefined;
}

export const MSG_ID_HEADER = 'Nats-Msg-Id';
