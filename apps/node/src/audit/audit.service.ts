import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditChainWalker, AuditPruneView, AuditRecord, AuditVerificationView, parseAuditAnchor } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { cursors } from '../common/cursor';
import { Page, pageOf } from '../common/paging';
import { DomainRefusal } from '../common/domain-refusal';
import { AuditLog } from './audit-log.service';
import { PrunedChainWalker } from './pruned-chain';
import { AuditHead, AuditRepository } from './audit.repository';
import type { ListAuditQuery, PruneAuditDto, VerifyAuditQuery } from './dto/audit.query';

const EXPORT_BATCH = 1000;

/** Reading the log: the list, the verification of the whole chain, and exports of a range. */
@Injectable()
export class AuditService {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly repository: AuditRepository,
    private readonly log: AuditLog,
  ) {}

  async list(q: ListAuditQuery): Promise<Page<AuditRecord>> {
    const { from, to } = timeRange(q.from, q.to);
    const cursor = q.cursor === undefined ? undefined : cursors.seq(q.cursor);
    const items = await this.repository.list(this.dataSource.manager, {
      from,
      to,
      actor: q.actor,
      action: q.action,
      target: q.target,
      outcome: q.outcome,
      order: q.order,
      limit: q.limit,
      ...(cursor === undefined ? {} : q.order === 'asc' ? { afterSeq: cursor } : { beforeSeq: cursor }),
    });
    const last = items[items.length - 1];
    return pageOf(items, q.limit, last && cursors.ofSeq(last.seq));
  }

  /**
   * Walks the whole chain from the genesis in batches (memory holds one batch), in one snapshot so
   * that the head and the records agree while appends go on, and compares its end with the head.
   */
  async verify(q: VerifyAuditQuery): Promise<AuditVerificationView> {
    const anchor = q.anchor === undefined ? undefined : parseAuditAnchor(q.anchor);
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const head = await this.repository.head(manager);
      const walker = await this.chainWalker(manager, anchor);
      // Every record the list would show, in its order: below 1 too (a row forged with the check
      // constraint dropped) and past the head (a record written outside the log).
      await this.walk(manager, null, Number.MAX_SAFE_INTEGER, q.batch, (record) => walker.push(record));
      return { node: this.config.code, head, ...walker.finish(head) };
    });
  }

  /** A walker from where the log starts: the genesis, or the anchor its newest prune left. */
  private async chainWalker(manager: EntityManager, anchor: { seq: number; hash: string } | undefined): Promise<AuditChainWalker | PrunedChainWalker> {
    const pruned = await this.repository.pruneAnchor(manager);
    return pruned ? new PrunedChainWalker(pruned, anchor) : new AuditChainWalker('genesis', anchor);
  }

  /**
   * Prunes the log through record `through`, which must end an export the caller verified and
   * kept: its hash must be the stored one, the export must start at or before the oldest record
   * still held, and the record must be older than AUDIT_RETENTION_DAYS. The prune and a record of
   * it commit together; the anchor it leaves keeps the rest verifiable.
   */
  async prune(input: PruneAuditDto, actor: string): Promise<AuditPruneView> {
    return this.dataSource.transaction(async (manager) => {
      const head = await this.repository.lockHead(manager);
      const [record] = await this.repository.range(manager, input.through - 1, input.through, 1);
      const first = await this.repository.minSeq(manager);
      const refuse = (rule: string, message: string) => DomainRefusal.refused([{ rule, article: 'Articles 7 and 10', message }]);
      if (input.from > input.through) throw DomainRefusal.invalid([{ field: 'from', messages: ['from must not be after through'] }]);
      if (input.through >= head.seq)
        throw refuse('audit-prune-keeps-head', `record ${input.through} is not older than the head (${head.seq}): the newest record is never pruned`);
      if (!record || record.seq !== input.through)
        throw refuse('audit-prune-exported-only', `record ${input.through} is not in the log (the log holds ${first} to ${head.seq})`);
      if (record.hash !== input.hash) {
        throw refuse(
          'audit-prune-exported-only',
          `record ${input.through} does not have the hash given: prune only through the last record of an export of this log, verified with tdx audit verify --file`,
        );
      }
      if (input.from > first) {
        throw refuse(
          'audit-prune-exported-only',
          `the export starts at record ${input.from} but the log still holds records from ${first}: export from ${first} on, so that nothing is pruned unexported`,
        );
      }
      const retentionDays = this.config.http.auditRetentionDays;
      const youngest = Date.now() - retentionDays * 86_400_000;
      if (new Date(record.at).getTime() > youngest) {
        throw refuse(
          'audit-retention',
          `record ${input.through} was written ${record.at}, less than ${retentionDays} days ago (AUDIT_RETENTION_DAYS): it is kept`,
        );
      }
      const deleted = await this.repository.prune(manager, input.through);
      await this.log.append(
        {
          actor,
          action: 'audit.prune',
          target: String(input.through),
          outcome: 'pruned',
          details: { from: first, through: input.through, hash: input.hash, records: deleted, retentionDays },
        },
        manager,
      );
      return { node: this.config.code, pruned: deleted, anchor: { seq: record.seq, hash: record.hash }, firstRemaining: input.through + 1 };
    });
  }

  /** The contiguous run of records written in [from, to), and the head when the export began. */
  async exportSpan(fromText: string | undefined, toText: string | undefined): Promise<{ span?: { first: number; last: number }; head: AuditHead }> {
    const { from, to } = timeRange(fromText, toText);
    const manager = this.dataSource.manager;
    const head = await this.repository.head(manager);
    const span = await this.repository.seqSpan(manager, from, to);
    return { span: span && { first: span.first, last: Math.min(span.last, head.seq) }, head };
  }

  /** Feeds the records of a span to `write` batch by batch; `write` may wait (backpressure). */
  async exportRecords(span: { first: number; last: number }, write: (record: AuditRecord) => Promise<void> | void): Promise<void> {
    await this.walk(this.dataSource.manager, span.first - 1, span.last, EXPORT_BATCH, write);
  }

  private async walk(
    manager: EntityManager,
    afterSeq: number | null,
    toSeq: number,
    batch: number,
    visit: (record: AuditRecord) => Promise<unknown> | unknown,
  ): Promise<void> {
    let after = afterSeq;
    for (;;) {
      const records = await this.repository.range(manager, after, toSeq, batch);
      for (const record of records) {
        if ((await visit(record)) === false) return; // the walker stopped at a break: nothing more to learn
      }
      if (records.length < batch) return;
      after = records[records.length - 1].seq;
    }
  }
}

function timeRange(from: string | undefined, to: string | undefined): { from?: Date; to?: Date } {
  const range = { from: from === undefined ? undefined : new Date(from), to: to === undefined ? undefined : new Date(to) };
  const bad = (['from', 'to'] as const).filter((k) => range[k] !== undefined && Number.isNaN(range[k]?.getTime()));
  if (bad.length > 0) throw DomainRefusal.invalid(bad.map((field) => ({ field, messages: [`${field} is not a real time`] })));
  if (range.from && range.to && range.from >= range.to) {
    throw DomainRefusal.invalid([{ field: 'to', messages: ['to must be later than from'] }]);
  }
  return range;
}
