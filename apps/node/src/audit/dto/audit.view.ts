import type { AuditBreak, AuditPruneView, AuditRecordView, AuditVerificationView } from '@tdx/contracts';
import { PageViewOf, View } from '../../common/api-docs';

export class AuditRecordViewDto implements AuditRecordView {
  @View.int()
  seq!: number;

  @View.time()
  at!: string;

  @View.text({ description: '`user:<name>`, `anonymous`, or `node:<division code>`' })
  actor!: string;

  @View.text()
  action!: string;

  @View.textOrNull()
  target!: string | null;

  @View.text({ description: 'an HTTP status for operator actions, a word for exchanges' })
  outcome!: string;

  @View.json()
  details!: Record<string, unknown>;

  @View.text({ description: '64 hex digits' })
  prevHash!: string;

  @View.text({ description: '64 hex digits' })
  hash!: string;
}

export class AuditRecordPageDto extends PageViewOf(AuditRecordViewDto) {}

class AuditPointDto {
  @View.int()
  seq!: number;

  @View.text()
  hash!: string;
}

// Every kind, checked complete by the compiler (the contract names them as a union only).
const BREAK_KINDS = Object.keys({
  malformed: 1,
  changed: 1,
  missing: 1,
  'out-of-order': 1,
  'broken-link': 1,
  'head-mismatch': 1,
  'anchor-mismatch': 1,
} satisfies Record<AuditBreak['kind'], 1>);

class AuditBreakDto implements AuditBreak {
  @View.int()
  seq!: number;

  @View.oneOf(BREAK_KINDS)
  kind!: AuditBreak['kind'];

  @View.text()
  reason!: string;
}

export class AuditVerificationViewDto implements AuditVerificationView {
  @View.text()
  node!: string;

  @View.bool()
  ok!: boolean;

  @View.int({ description: 'records checked' })
  records!: number;

  @View.of(AuditPointDto, { nullable: true, description: 'the last record checked' })
  last!: { seq: number; hash: string } | null;

  @View.of(AuditBreakDto, { required: false, description: 'the first record that breaks the chain' })
  firstBad?: AuditBreak;

  @View.of(AuditPointDto, { description: "where the node's stored head says the chain ends" })
  head!: { seq: number; hash: string };
}

export class AuditPruneViewDto implements AuditPruneView {
  @View.text()
  node!: string;

  @View.int({ description: 'records deleted' })
  pruned!: number;

  @View.of(AuditPointDto, { description: 'the last pruned record, kept as the anchor the remaining log starts from' })
  anchor!: { seq: number; hash: string };

  @View.int()
  firstRemaining!: number;
}
