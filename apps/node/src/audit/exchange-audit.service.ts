import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditEvent, AuditLog } from './audit-log.service';

/**
 * One audit record of an exchange with another node, as the feature that made the exchange
 * describes it (each feature keeps its own `*-audit.ts`; this module knows none of their messages).
 */
export interface ExchangeRecord extends AuditEvent {
  /**
   * Record only when `value` differs from the last one recorded under `key` for this action: a peer
   * that retries every few seconds and meets the same answer is recorded once, not in a flood.
   */
  unlessRepeated?: { key: string; value: string };
}

/** Keys remembered for `unlessRepeated` at most: keys named by forged messages must not grow it without end. */
const MAX_REMEMBERED = 1000;

/**
 * The audit records of exchanges between nodes, one per exchange (a join, a replication batch, a
 * return request, a chunk), never one per change: replication runs at thousands of changes a
 * second. The actor is the other node (`node:<code>`), or this node for what it sends.
 */
@Injectable()
export class ExchangeAudit {
  private readonly logger = new Logger('Audit');
  private readonly last = new Map<string, string>();

  constructor(private readonly log: AuditLog) {}

  /**
   * Inside the caller's transaction (when `manager` has one) a failure fails the transaction: action
   * and record go together. After it, the exchange has happened and stands, and a failure to record
   * it is logged. Nothing when `record` is undefined (a feature found nothing worth recording).
   */
  async record(record: ExchangeRecord | undefined, manager?: EntityManager): Promise<void> {
    if (!record || this.repeated(record)) return;
    const event = eventOf(record);
    if (manager?.queryRunner?.isTransactionActive) {
      await this.log.append(event, manager);
      return;
    }
    await this.log.append(event).catch((error) => this.failed(event.action, error));
  }

  /** Recorded outside any transaction; the caller does not wait, a failure is logged. */
  detach(record: ExchangeRecord | undefined): void {
    if (!record || this.repeated(record)) return;
    const event = eventOf(record);
    void this.log.append(event).catch((error) => this.failed(event.action, error));
  }

  private repeated({ action, unlessRepeated }: ExchangeRecord): boolean {
    if (!unlessRepeated) return false;
    const key = `${action}:${unlessRepeated.key}`;
    if (this.last.get(key) === unlessRepeated.value) return true;
    if (this.last.size >= MAX_REMEMBERED) this.last.clear();
    this.last.set(key, unlessRepeated.value);
    return false;
  }

  private failed(what: string, error: unknown): void {
    this.logger.error(`could not record ${what} in the audit log: ${(error as Error).message}`);
  }
}

function eventOf(record: ExchangeRecord): AuditEvent {
  const { unlessRepeated: _unused, ...event } = record;
  return event;
}

/** First and last of a run of numbers, as `[first, last]`: how a record names a batch's span. */
export function span(seqs: number[]): [number, number] | null {
  return seqs.length === 0 ? null : [Math.min(...seqs), Math.max(...seqs)];
}
