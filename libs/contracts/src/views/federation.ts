import type { DivisionLevel } from '@tdx/divisions';
import type { TrustedNode } from '../trust';

/** A decided node identity (approved, revoked) or a join waiting for or refused a decision (pending, rejected). */
export const FEDERATION_NODE_STATES = ['approved', 'revoked', 'pending', 'rejected'] as const;
export type FederationNodeState = (typeof FEDERATION_NODE_STATES)[number];

/** How a child link looks to an on-call operator (docs/operator-guide.md, "Federation health"). */
export const LINK_HEALTH_STATES = ['healthy', 'stale', 'down', 'pending-approval', 'revoked'] as const;
export type LinkHealth = (typeof LINK_HEALTH_STATES)[number];

/** The link to a direct child, as its parent sees it; a child whose join waits here is listed as `pending`, without lag. */
export interface ChildLinkView {
  code: string;
  name: string;
  level: DivisionLevel;
  status: FederationNodeState;
  health: LinkHealth;
  /** When the child was last seen: its heartbeat, its join, or the stream storing its record. */
  lastSeenAt: string | null;
  secondsSinceSeen: number | null;
  lastHeartbeatAt: string | null;
  /** The heartbeat interval the child runs with, as its last heartbeat said (else this node's own). */
  heartbeatIntervalSeconds: number;
  /** The child's outbox backlog towards this node, as its last heartbeat reported it. */
  reportedOutboxBacklog: number | null;
  /** For a pending child: its first join. */
  joinedAt: string;
  lastStreamSeq: number;
  lastOrigin: string | null;
  lastOriginSeq: number | null;
  lastAppliedAt: string | null;
  /** Seconds from the origin's commit of the last applied record to its apply here (null for a child waiting for approval). */
  lastLagSeconds: number | null;
  applied: number;
  skipped: number;
  rejected: number;
  /** Records waiting in this node's stream for this link (null while NATS is unreachable). */
  pending: number | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

/** The link to the parent, as the child sees it. */
export interface ParentLinkView {
  code: string;
  name: string | null;
  joined: boolean;
  joinedAt: string | null;
  /** Records of this node waiting to be published upward. */
  outboxBacklog: number;
  oldestQueuedAt: string | null;
  lastPublishedSeq: number;
  lastPublishedAt: string | null;
  published: number;
  lastError: string | null;
  lastErrorAt: string | null;
}

export const TRUST_LIST_STATES = ['valid', 'expired', 'missing'] as const;
export type TrustListState = (typeof TRUST_LIST_STATES)[number];

/** The trust list this node holds: `missing` or `expired` trusts nothing (fail closed); `alarm` near expiry. */
export interface TrustListView {
  state: TrustListState;
  /** The province that signs the list. */
  issuer: string;
  version: number | null;
  issuedAt: string | null;
  expiresAt: string | null;
  expiresInSeconds: number | null;
  alarm: boolean;
  nodes: TrustedNode[];
}

/** A join waiting for an operator at `waitsAt`, here or anywhere below (reported up in heartbeats: `reportedVia`, `reportedAt`). */
export interface PendingJoinView {
  code: string;
  name: string;
  publicKey: string;
  fingerprint: string;
  waitsAt: string;
  firstSeen: string | null;
  lastSeen: string | null;
  attempts: number;
  reportedVia: string | null;
  reportedAt: string | null;
}

/** The heartbeat timing a child's health is judged by. */
export interface HeartbeatSettingsView {
  intervalSeconds: number;
  staleAfterIntervals: number;
  downAfterIntervals: number;
}

/** The protocol versions this node writes and reads, and the records it parked because it cannot read them yet. */
export interface ProtocolStatusView {
  version: number;
  oldestSupported: number;
  parked: number;
  oldestParkedAt: string | null;
}

/**
 * A signed record from a trusted origin that this node cannot read yet (a newer protocol version,
 * an unknown kind): kept whole, neither applied nor forwarded, read again when the node starts.
 */
export interface ParkedMessageView {
  id: string;
  /** The child link it came through. */
  sender: string;
  origin: string;
  protocolVersion: number;
  kind: string;
  reason: string;
  payloadSha256: string;
  payloadBytes: number;
  /** The newest protocol version this node read when it parked the record. */
  parkedUnderVersion: number;
  parkedAt: string;
  /** How often it was read again since, without success. */
  attempts: number;
  lastAttemptAt: string | null;
}

/** `GET /federation/parked`: the newest parked records first, at most `limit`. */
export interface ParkedMessageListView {
  protocol: ProtocolStatusView;
  items: ParkedMessageView[];
}

/** `POST /federation/parked/reread`: parked records settled now (applied, skipped or refused) and those still parked. */
export interface ParkedRereadView {
  released: number;
  kept: number;
}

/** Per link: where it stands, what waits, the last error; joins pending below; and the trust list (its nodes counted). */
export interface FederationStatusView {
  node: string;
  protocol: ProtocolStatusView;
  heartbeat: HeartbeatSettingsView;
  parent: ParentLinkView | null;
  children: ChildLinkView[];
  pendingJoins: PendingJoinView[];
  trustList: Omit<TrustListView, 'nodes'> & { nodes: number };
}

/** Per origin: entry count and a digest over (id, version, status), equal at every tier that holds that origin. */
export interface OriginDigestView {
  origin: string;
  count: number;
  active: number;
  versionSum: number;
  digest: string;
}

export interface FederationDigestView {
  node: string;
  origins: OriginDigestView[];
}

/**
 * A node this node knows (approved, revoked) or a join waiting here (pending, rejected); one row
 * per key that asks. `lastSeen`, `attempts` and `source` only for joins.
 */
export interface FederationNodeView {
  code: string;
  name: string;
  level: DivisionLevel;
  parentCode: string | null;
  /** The direct child through which it joined (itself for a direct child). */
  via: string;
  publicKey: string;
  fingerprint: string;
  previousPublicKey: string | null;
  status: FederationNodeState;
  joinedAt: string | null;
  decidedAt: string | null;
  decidedBy: string | null;
  reason: string | null;
  lastSeen?: string | null;
  attempts?: number;
  /** The NATS subject the join came in on. */
  source?: string;
}

/** The nodes and pending joins (`GET /federation/nodes`), sorted by code; not paged (a subtree is small). */
export interface FederationNodeListView {
  items: FederationNodeView[];
}

/** A key rotation announced to the parent; in force once the trust list names the new key. */
export interface KeyRotationView {
  state: 'announced';
  publicKey: string;
  previousPublicKey: string;
}

/** Who this node is, its parent, and its children with the state of each link. */
export interface NodeInfoView {
  code: string;
  name: string;
  level: DivisionLevel;
  publicKey: string;
  parent: { code: string; name: string | null; link: ParentLinkView | null } | null;
  children: ChildLinkView[];
}

/** A round trip through the channel (Article 10) to another node: it answered, and how fast. */
export interface ChannelPingView {
  node: string;
  roundTripMs: number;
}
