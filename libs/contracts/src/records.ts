import type { DataItemType, EntryStatus, EntryType, Grade, InstitutionKind, OpenType, ShareType, UpdateCycle } from './vocabulary';
import type { DivisionLevel } from '@tdx/divisions';
import type { SupervisionState } from './supervision';

/** The whole state of one catalog entry version, as it replicates (state transfer, not deltas). */
export interface EntryState {
  id: string;
  origin: string;
  code: string;
  type: EntryType;
  name: string;
  summary: string;
  providerId: string;
  category: string;
  grade: Grade;
  shareType: ShareType;
  shareCondition: string | null;
  legalBasis: string | null;
  openType: OpenType;
  updateCycle: UpdateCycle;
  format: string | null;
  regionScope: string;
  dataItems: { name: string; type: DataItemType; sensitive: boolean }[];
  relatedResources: string[];
  releaseDate: string | null;
  status: EntryStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface InstitutionState {
  id: string;
  origin: string;
  name: string;
  kind: InstitutionKind;
  creditCode: string | null;
  version: number;
  status: EntryStatus;
  createdAt: string;
  updatedAt: string;
}

/** A node introducing itself and its public key (self-signed). */
export interface JoinBody {
  code: string;
  name: string;
  level: DivisionLevel;
  parent: string;
  /** Ed25519 public key, base64url of the raw 32 bytes. */
  publicKey: string;
  /**
   * A key rotation: the key the node signed with until now, and that key's signature over
   * `rotationStatement(code, publicKey)`. The join itself is signed with the new key, so the
   * node proves it holds both.
   */
  rotatedFrom?: { publicKey: string; sig: string };
  /** Random, echoed in the parent's signed answer, so that an old answer cannot be passed off as the answer to this join. */
  nonce?: string;
}

/**
 * A parent's signed word that `code`, its direct child, signs with `publicKey`: the only record on
 * which an ancestor admits a node. `origin` of the record is the parent. `previousPublicKey` is set
 * when the approval rotates the node's key (the old one stays valid for what it signed before).
 */
export interface NodeApprovalBody {
  code: string;
  name: string;
  level: DivisionLevel;
  parent: string;
  publicKey: string;
  previousPublicKey?: string;
  approvedAt: string;
}

/** A parent's signed word that `publicKey` of its direct child `code` is revoked. */
export interface NodeRevocationBody {
  code: string;
  parent: string;
  publicKey: string;
  reason: string;
  revokedAt: string;
}

interface RecordHeader<V extends number = 1> {
  /** The protocol version of the record: the oldest that can express its kind (RECORD_KIND_VERSIONS). */
  v: V;
  /** The node where the change was made; it signs the record. */
  origin: string;
  /** The origin's outbox sequence: strictly increasing per origin. */
  seq: number;
  /** When the origin committed the change (ISO 8601). */
  at: string;
}

export type ReplicationRecord =
  | (RecordHeader & { kind: 'node.join'; body: JoinBody })
  | (RecordHeader & { kind: 'node.approval'; body: NodeApprovalBody })
  | (RecordHeader & { kind: 'node.revocation'; body: NodeRevocationBody })
  | (RecordHeader & { kind: 'institution.upsert'; body: InstitutionState })
  | (RecordHeader & { kind: 'entry.upsert'; body: EntryState })
  | (RecordHeader<2> & { kind: 'supervision.state'; body: SupervisionState });

export type RecordKind = ReplicationRecord['kind'];

/**
 * The protocol version each kind is written in: the version that introduced it. A record is written
 * in the oldest version that can express it, so a parent of an older release still reads every
 * record it could read before (catalog, institutions, approvals); only the new kinds wait for it
 * to be upgraded (docs/protocol.md, "Versions and skew").
 */
export const RECORD_KIND_VERSIONS: { readonly [K in RecordKind]: Extract<ReplicationRecord, { kind: K }>['v'] } = {
  'node.join': 1,
  'node.approval': 1,
  'node.revocation': 1,
  'institution.upsert': 1,
  'entry.upsert': 1,
  'supervision.state': 2,
};
export const RECORD_KINDS = Object.keys(RECORD_KIND_VERSIONS) as readonly RecordKind[];

/** Reply of a parent to a join request. The child takes no key from it: keys come from the trust list only. */
export type JoinReply =
  | { ok: true; parent: { code: string; name: string; publicKey: string } }
  // `pending`: the parent recorded the request and waits for its operator to approve it; ask again later.
  | { ok: false; reason: string; pending?: boolean };

/**
 * A parent's answer to a join, as signed text: the child acts on it only if it verifies with the key
 * the trust list names for the parent, is addressed from that parent to the child, and echoes the
 * nonce of the join it answers.
 */
export interface JoinAnswer {
  v: 1;
  kind: 'join.answer';
  from: string;
  to: string;
  at: string;
  nonce: string;
  reply: JoinReply;
}
