import type { AuditRecord, AuditVerification } from '../audit';

/** One record of a node's audit log, with its chain fields. */
export type AuditRecordView = AuditRecord;

/** A node's check of its whole audit chain, and where its stored head says the chain ends. */
export interface AuditVerificationView extends AuditVerification {
  node: string;
  head: { seq: number; hash: string };
}

/** The answer to a prune of the audit log's exported oldest part. */
export interface AuditPruneView {
  node: string;
  /** Records deleted. */
  pruned: number;
  /** The last pruned record, kept as the anchor the remaining log starts from. */
  anchor: { seq: number; hash: string };
  firstRemaining: number;
}
