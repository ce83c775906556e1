import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditChainWalker, AuditRecord, AuditVerification, parseAuditAnchor } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { decodeCursor, encodeCursor, Page } from '../common/cursor';
import { BadFieldsException } from '../common/domain-refusal';
import { AuditHead, AuditRepository } from './audit.repository';
import type { ListAuditQuery, VerifyAuditQuery } from './dto/audit.query';

const EXPORT_BATCH = 1000;

export interface AuditVerificationResult extends AuditVerification {
  node: string;
  /** Where the node's stored head says the chain ends. */
  head: AuditHead;
}

/** Reading the log: the list, the verification of the whole chain, and exports of a range. */
@Injectable()
export class AuditService {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly repository: AuditRepository,
  ) {}

  async list(q: ListAuditQuery): Promise<Page<AuditRecord>> {
    const { from, to } = timeRange(q.from, q.to);
    const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    const items = await this.repository.list(this.dataSource.manager, {
      from, to, actor: q.actor, action: q.action, target: q.target, outcome: q.outcome, order: q.order, limit: q.limit,
      ...(cursor === undefined ? {} : q.order === 'asc' ? { afterSeq: cursor } : { beforeSeq: cursor }),
    });
    return { items, nextCursor: items.length === q.limit ? encodeCursor(items[items.length - 1].seq) : null };
  }

  /**
   * Walks the whole chain from the genesis in batches (memory holds one batch), in one snapshot so
   * that the head and the records agree while appends go on, and compares its end with the head.
   */
  async verify(q: VerifyAuditQuery): Promise<AuditVerificationResult> {
    const anchor = q.anchor === undefined ? undefined : parseAuditAnchor(q.anchor);
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const head = await this.repository.head(manager);
      const walker = new AuditChainWalker('genesis', anchor);
      // Every record the list would show, in its order: below 1 too (a row forged with the check
      // constraint dropped) and past the head (a record written outside the log).
      await this.walk(manager, null, Number.MAX_SAFE_INTEGER, q.batch, (record) => walker.push(record));
      return { node: this.config.code, head, ...walker.finish(head) };
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

  private async walk(manager: EntityManager, afterSeq: number | null, toSeq: number, batch: number,
    visit: (record: AuditRecord) => Promise<unknown> | unknown): Promise<void> {
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
  if (bad.length > 0) throw new BadFieldsException(bad.map((field) => ({ field, messages: [`${field} is not a real time`] })));
  if (range.from && range.to && range.from >= range.to) {
    throw new BadFieldsException([{ field: 'to', messages: ['to must be later than from'] }]);
  }
  return range;
}
