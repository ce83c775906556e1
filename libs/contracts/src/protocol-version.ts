/**
 * The protocol version every signed message carries in its `v` (inside the signed text, so no
 * forwarder can change it). One integer: any change an older node cannot handle safely (a new
 * kind, a new field it must not ignore, a changed meaning) raises it; an optional field an older
 * node may ignore does not. docs/protocol.md, "Versions and skew", gives the whole rule.
 */

/**
 * The newest version this release reads and writes. Version 2 adds the replication record kind
 * `supervision.state`; every other message is still written as version 1 (the oldest version that
 * expresses it), so a parent of the previous release reads them as before.
 */
export const PROTOCOL_VERSION: number = 2;
/** The oldest version this release still reads: a release drops one only after the whole tree writes newer. */
export const OLDEST_PROTOCOL_VERSION: number = 1;

export type ProtocolVersionVerdict =
  | { kind: 'supported'; version: number }
  /** Written by a newer release: kept (parked, or refused with this reason to an asker) until this node is upgraded. */
  | { kind: 'newer'; version: number; reason: string }
  /** Written by a release this one no longer reads: the sender must be upgraded. */
  | { kind: 'retired'; version: number; reason: string }
  | { kind: 'invalid'; reason: string };

/** What a receiver does with a message of protocol version `v` (as it stands in the message, unchecked). */
export function protocolVersionVerdict(v: unknown, what = 'message'): ProtocolVersionVerdict {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) return { kind: 'invalid', reason: `${what} has no protocol version (v)` };
  if (v > PROTOCOL_VERSION) {
    return {
      kind: 'newer',
      version: v,
      reason: `${what} is of protocol version ${v}, newer than this node understands (${supportedRange()}): upgrade this node`,
    };
  }
  if (v < OLDEST_PROTOCOL_VERSION) {
    return {
      kind: 'retired',
      version: v,
      reason: `${what} is of protocol version ${v}, older than this node still reads (${supportedRange()}): upgrade the sender`,
    };
  }
  return { kind: 'supported', version: v };
}

/** The versions this release reads, as words. */
export function supportedRange(): string {
  return OLDEST_PROTOCOL_VERSION === PROTOCOL_VERSION ? `version ${PROTOCOL_VERSION}` : `versions ${OLDEST_PROTOCOL_VERSION} to ${PROTOCOL_VERSION}`;
}
